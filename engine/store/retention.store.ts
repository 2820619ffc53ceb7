import type { Collection, Db, Document } from 'mongodb';
import { AuditCutStore } from './audit-cut.store.ts';
import { FLOWS_COLLECTION } from './flows.store.ts';
import { insertAllowingDuplicates } from './group-commit.ts';
import { lookUpMap } from './lookup.ts';
import { isFerretDb } from './message-indexes.ts';
import { mergeRecord, type MessageContent, type MessageState } from './message-state.ts';
import { SwitchboardError } from '../errors.ts';
import { backfillReceivedDays } from './received-day-backfill.ts';
import { storeCall } from './store-call.ts';
import type { HeldMessage, RetentionCursor, RetentionRun, RetentionSchedule } from './retention-records.ts';
import { RetentionRunState } from './retention-records.ts';
import type { StoreContext } from './store-context.ts';

const SCHEDULE = 'retention_schedule';
/** States read per round trip of a cursor. */
const CHUNK = 1000;
/** Pruning runs' records (RetentionRun), pruned themselves by RETENTION_HISTORY_DAYS. */
export const RETENTION_RUNS_COLLECTION = 'retention_runs';
const CURSORS = 'retention_cursors';
const HELD = 'retention_held';

/**
 * The store's retention role (issue 25): what the pruner reads and deletes, its runs, cursors and
 * held messages, what an archive restore writes back, and the audit log's cut. Every read of
 * messages is an equality FerretDB 1.24 passes down to PostgreSQL: a received day (`receivedDay`,
 * a GIN index there, an index of its own on MongoDB) or an `_id`; never a range on `receivedAt`,
 * which would read the whole collection there. Every method throws
 * STORE_UNAVAILABLE (storeCall) when the server does not answer or confirm.
 */
export class RetentionStore {
  /** The audit log's cut (AUDIT_RETENTION_DAYS). */
  readonly audit: AuditCutStore;

  constructor(
    private readonly ctx: StoreContext,
    private readonly collection: <T extends Document>(name: string) => Collection<T>,
    private readonly db: () => Db,
  ) {
    this.audit = new AuditCutStore(collection);
  }

  /**
   * The states of the messages received on `day` (`YYYY-MM-DD`), whole (they are small: status,
   * deliveries and attempts), handed to `each` a chunk at a time (a day may hold a hundred
   * thousand): one query by equality on `receivedDay`. Returns how many were read.
   */
  async eachStateOfDay(day: string, each: (states: MessageState[]) => Promise<void>): Promise<number> {
    const cursor = this.ctx.states().find({ receivedDay: day }, { batchSize: CHUNK });
    let read = 0;
    try {
      for (;;) {
        const chunk = await storeCall(async () => {
          const out: MessageState[] = [];
          while (out.length < CHUNK) {
            const d = await cursor.next();
            if (!d) break;
            out.push(d);
          }
          return out;
        }, 'retention.statesOfDay');
        read += chunk.length;
        if (chunk.length > 0) await each(chunk);
        if (chunk.length < CHUNK) return read;
      }
    } finally {
      await cursor.close().catch(() => undefined);
    }
  }

  /**
   * Gives `receivedDay` to the states stored before the field existed (see backfillReceivedDays):
   * once per deployment, the pruner keeps the mark in its schedule. Returns how many it gave.
   */
  backfillDays(batch: number, rest: () => Promise<void>): Promise<number> {
    return backfillReceivedDays(this.ctx.states(), batch, rest);
  }

  /** The states of messages by id (held ones), those gone left out. */
  async states(ids: readonly string[]): Promise<MessageState[]> {
    return [...(await lookUpMap(this.ctx.states(), ids)).values()];
  }

  /**
   * The contents of these messages, as stored (sealed fields stay sealed), those gone left out. By
   * received minute where several share one (one query by equality on `receivedMinute`, which
   * FerretDB passes down to a GIN index, returning that minute's messages), else by `_id`: a batch of
   * the pruner, read in about the order messages were stored, spans a few minutes, so a few queries
   * fetch it instead of one per message.
   */
  async contents(states: readonly Pick<MessageState, '_id' | 'receivedMinute'>[]): Promise<Map<string, MessageContent>> {
    const wanted = new Set(states.map((s) => s._id));
    const byMinute = new Map<string, string[]>();
    for (const s of states) if (s.receivedMinute) byMinute.set(s.receivedMinute, [...(byMinute.get(s.receivedMinute) ?? []), s._id]);
    const single = states.filter((s) => !s.receivedMinute || byMinute.get(s.receivedMinute)!.length < 2).map((s) => s._id);
    const found = await lookUpMap(this.ctx.messages(), single);
    const minutes = [...byMinute].filter(([, ids]) => ids.length >= 2).map(([m]) => m);
    for (let i = 0; i < minutes.length; i += 8) {
      const read = await Promise.all(
        minutes
          .slice(i, i + 8)
          .map((receivedMinute) => storeCall(() => this.ctx.messages().find({ receivedMinute }).toArray(), 'retention.contentsOfMinute')),
      );
      for (const c of read.flat()) if (wanted.has(c._id)) found.set(c._id, c);
    }
    return found;
  }

  /**
   * Deletes messages: each state on condition that it is unchanged since it was read (`updatedAt`:
   * a replay that set it back in flight meanwhile keeps it), then the content of each state
   * deleted. One delete statement per id in one command per collection: FerretDB passes `_id`
   * equality down, not `$in`. Returns the ids deleted. A crash between the two leaves contents
   * without a state: the caller records the ids first and finishes with `finishDeleting`.
   */
  async deleteMessages(messages: readonly { id: string; updatedAt: Date }[]): Promise<Set<string>> {
    if (messages.length === 0) return new Set();
    const stateOps = messages.map((m) => ({ deleteOne: { filter: { _id: m.id, updatedAt: m.updatedAt } } }));
    const res = await storeCall(() => this.ctx.states().bulkWrite(stateOps, { ordered: false }), 'retention.deleteStates');
    let deleted = messages.map((m) => m.id);
    if (res.deletedCount < messages.length) {
      const kept = await lookUpMap(this.ctx.states(), deleted, { _id: 1 });
      deleted = deleted.filter((id) => !kept.has(id));
    }
    await this.deleteContents(deleted);
    return new Set(deleted);
  }

  /** Deletes the contents of `ids` whose state is gone (a deletion cut short by a crash); returns how many. */
  async finishDeleting(ids: readonly string[]): Promise<number> {
    const states = await lookUpMap(this.ctx.states(), ids, { _id: 1 });
    return this.deleteContents(ids.filter((id) => !states.has(id)));
  }

  private async deleteContents(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const ops = ids.map((id) => ({ deleteOne: { filter: { _id: id } } }));
    const res = await storeCall(() => this.ctx.messages().bulkWrite(ops, { ordered: false }), 'retention.deleteContents');
    return res.deletedCount;
  }

  /**
   * The received days that hold any message, oldest first: the distinct days of the states
   * (on FerretDB a read of the whole collection, in FerretDB's process; on MongoDB the
   * `received_day` index). Asked only when a horizon has no cursor yet: its first walk then reads
   * only days that hold messages, however long the history.
   */
  async storedDays(): Promise<string[]> {
    const days = await storeCall(() => this.ctx.states().distinct('receivedDay'), 'retention.storedDays');
    return days.filter((d): d is string => typeof d === 'string').sort();
  }

  cursors(): Promise<RetentionCursor[]> {
    return storeCall(() => this.collection<RetentionCursor>(CURSORS).find({}).toArray(), 'retention.readCursors');
  }

  async saveCursor(c: Omit<RetentionCursor, 'at'>): Promise<void> {
    await storeCall(
      () => this.collection<RetentionCursor>(CURSORS).updateOne({ _id: c._id }, { $set: { ...c, at: new Date() } }, { upsert: true }),
      'retention.saveCursor',
    );
  }

  async dropCursor(id: string): Promise<void> {
    await storeCall(() => this.collection<RetentionCursor>(CURSORS).deleteOne({ _id: id }), 'retention.dropCursor');
  }

  held(): Promise<HeldMessage[]> {
    return storeCall(() => this.collection<HeldMessage>(HELD).find({}).toArray(), 'retention.readHeld');
  }

  /** Holds messages (an entry already there is replaced: a restore renews the grace). */
  async hold(entries: readonly HeldMessage[]): Promise<void> {
    if (entries.length === 0) return;
    const ops = entries.map((e) => ({ replaceOne: { filter: { _id: e._id }, replacement: e, upsert: true } }));
    await storeCall(() => this.collection<HeldMessage>(HELD).bulkWrite(ops, { ordered: false }), 'retention.hold');
  }

  async release(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const ops = ids.map((id) => ({ deleteOne: { filter: { _id: id } } }));
    await storeCall(() => this.collection<HeldMessage>(HELD).bulkWrite(ops, { ordered: false }), 'retention.release');
  }

  /** The schedule, read by `_id` (FerretDB passes it down): every pruner's tick asks it. */
  async schedule(): Promise<RetentionSchedule> {
    const doc = await storeCall(() => this.collection<RetentionSchedule>(SCHEDULE).findOne({ _id: 'schedule' }), 'retention.readSchedule');
    return doc ?? { _id: 'schedule' };
  }

  /** Asks for run `id` (its record is already stored as requested). */
  async requestRun(id: string): Promise<void> {
    await storeCall(
      () => this.collection<RetentionSchedule>(SCHEDULE).updateOne({ _id: 'schedule' }, { $push: { requested: id } }, { upsert: true }),
      'retention.requestRun',
    );
  }

  /** Marks run `id` as the one in progress (or, without an id, only that the schedule was checked at `at`). */
  async beginRun(id: string | undefined, at: Date): Promise<void> {
    const update = id ? { $set: { current: id, lastStartedAt: at }, $pull: { requested: id } } : { $set: { lastStartedAt: at } };
    await storeCall(
      () => this.collection<RetentionSchedule>(SCHEDULE).updateOne({ _id: 'schedule' }, update, { upsert: true }),
      'retention.beginRun',
    );
  }

  async markDaysBackfilled(at: Date): Promise<void> {
    await storeCall(
      () =>
        this.collection<RetentionSchedule>(SCHEDULE).updateOne({ _id: 'schedule' }, { $set: { daysBackfilledAt: at } }, { upsert: true }),
      'retention.markBackfilled',
    );
  }

  /** Forgets a request no run record answers any more. */
  async dropRequest(id: string): Promise<void> {
    await storeCall(
      () => this.collection<RetentionSchedule>(SCHEDULE).updateOne({ _id: 'schedule' }, { $pull: { requested: id } }),
      'retention.dropRequest',
    );
  }

  async endRun(id: string): Promise<void> {
    await storeCall(
      () => this.collection<RetentionSchedule>(SCHEDULE).updateOne({ _id: 'schedule', current: id }, { $unset: { current: '' } }),
      'retention.endRun',
    );
  }

  async insertRun(run: RetentionRun): Promise<void> {
    await storeCall(() => this.collection<RetentionRun>(RETENTION_RUNS_COLLECTION).insertOne(run), 'retention.insertRun');
  }

  async updateRun(id: string, set: Partial<RetentionRun>): Promise<void> {
    await storeCall(
      () => this.collection<RetentionRun>(RETENTION_RUNS_COLLECTION).updateOne({ _id: id }, { $set: set }),
      'retention.updateRun',
    );
  }

  getRun(id: string): Promise<RetentionRun | null> {
    return storeCall(() => this.collection<RetentionRun>(RETENTION_RUNS_COLLECTION).findOne({ _id: id }), 'retention.getRun');
  }

  /** The last runs, newest first (run ids are time-ordered). */
  listRuns(limit: number): Promise<RetentionRun[]> {
    return storeCall(
      () =>
        this.collection<RetentionRun>(RETENTION_RUNS_COLLECTION)
          .find({}, { sort: { _id: -1 }, limit })
          .toArray(),
      'retention.listRuns',
    );
  }

  /**
   * Puts a message back as the archive holds it: its content, then its state, as they were stored.
   * It is opened first with this store's keys, so a message whose sealing key is no longer
   * configured is refused (CONFIG_INVALID naming the key) before anything is written. `present`
   * when it is already stored (a second restore changes nothing); `conflict` when another message
   * holds its de-duplication key (a resend stored after it was pruned): nothing is written.
   */
  async restore(content: MessageContent, state: MessageState): Promise<'restored' | 'present' | 'conflict'> {
    if (content.kid && !this.ctx.sealer.activeKeyId)
      throw new SwitchboardError('CONFIG_INVALID', `a stored record needs encryption key ${content.kid}; encryption is not configured`);
    this.ctx.sealer.open(mergeRecord(content, state));
    const refused = await storeCall(() => insertAllowingDuplicates(this.ctx.messages(), [content]), 'retention.restoreContent');
    if (refused.size > 0) {
      const same = await storeCall(
        () => this.ctx.messages().findOne({ _id: content._id }, { projection: { _id: 1 } }),
        'retention.findRestored',
      );
      if (!same) return 'conflict';
    }
    const stateRefused = await storeCall(() => insertAllowingDuplicates(this.ctx.states(), [state]), 'retention.restoreState');
    return refused.size > 0 && stateRefused.size > 0 ? 'present' : 'restored';
  }

  /**
   * Reclaims the space of deleted documents: `compact` per collection; bytes freed as the server
   * reports them. MongoDB 6+ compacts without blocking reads and writes, but only with `force` on a
   * replica set's primary; on FerretDB `force` would be `VACUUM FULL`, which locks the table against
   * intake, so it goes without: a plain `VACUUM ANALYZE` there.
   */
  async compact(names: readonly string[]): Promise<Record<string, number>> {
    const ferretdb = await storeCall(() => isFerretDb(this.db()), 'retention.buildInfo');
    const freed: Record<string, number> = {};
    for (const name of names) {
      const res = await storeCall(() => this.db().command({ compact: name, ...(ferretdb ? {} : { force: true }) }), 'retention.compact');
      freed[name] = Number(res.bytesFreed ?? 0);
    }
    return freed;
  }
}

/** The collections pruning deletes from, for `compact`. */
export const PRUNED_COLLECTIONS = { messages: 'messages', states: 'message_states', audit: 'audit', flows: FLOWS_COLLECTION } as const;
