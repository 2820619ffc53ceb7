import type { Store } from '../../store/store.ts';
import type { MessageContent, MessageState } from '../../store/message-state.ts';
import type { HeldMessage } from '../../store/retention-records.ts';
import type { ArchiveWriter } from './archive-writer.ts';
import type { Pacer } from './pacer.ts';
import {
  daysToWalk,
  decide,
  horizonCutoff,
  horizonsOf,
  lastWholeDay,
  nextDay,
  type ChannelRetention,
  type GlobalRetention,
  type Horizon,
} from './retention-rules.ts';

/** What one run removed and kept, as its record and audit entry report it. */
export interface PruneTally {
  removed: Record<string, Record<string, number>>;
  kept: { unsettled: number; restored: number };
  daysRead: number;
}

export interface PruneWalkOptions {
  store: Store;
  /** Each channel's own retention block, by id (deployed channels; others follow the global settings). */
  channels: ReadonlyMap<string, ChannelRetention | undefined>;
  global: GlobalRetention;
  /** The run's fixed "now" (epoch ms): every cut-off is taken from it. */
  now: number;
  batch: number;
  pacer: Pacer;
  archive: ArchiveWriter | undefined;
  /** Renews the run's lease and heartbeat; false when the lease was lost (another process runs now): the walk stops. */
  heartbeat: () => Promise<boolean>;
  /** Saves the ids about to be deleted on the run's record (undefined: done), so a crash half way is finished by the next run. */
  deleting: (ids: readonly string[] | undefined) => Promise<void>;
  stopped: () => boolean;
}

/**
 * One pruning pass over the store (see Pruner for the scheduling, lease and record): held messages
 * first (those in flight when their day was walked, and restored ones whose grace ended), then for
 * each horizon (retention-rules.ts) the received days from its cursor up to its cut-off, one day at
 * a time by equality on `receivedDay`. Every state read is decided by its own channel's rule
 * (`decide`): old enough and settled → pruned; in flight → held for later runs; young or kept
 * forever → left. Candidates go in batches: read again whole (a replay may have set one back in
 * flight meanwhile: decided again), archived durably, then deleted (state on condition it did not
 * change since, then content). A horizon's cursor moves only past days whose candidates are all
 * deleted.
 */
export class PruneWalk {
  readonly tally: PruneTally = { removed: {}, kept: { unsettled: 0, restored: 0 }, daysRead: 0 };
  private pending: MessageState[] = [];
  private toHold: HeldMessage[] = [];
  /** Messages in flight met this run (each horizon may meet the same one). */
  private readonly inFlight = new Set<string>();
  /** Restored messages still in their grace: the walk leaves them. */
  private graced = new Set<string>();
  private lost = false;

  constructor(private readonly o: PruneWalkOptions) {}

  async run(): Promise<PruneTally> {
    const horizons = horizonsOf(this.o.channels, this.o.global);
    await this.dropStaleCursors(horizons);
    await this.heldPass();
    let stored: string[] | undefined;
    const cursors = new Map((await this.o.store.retention.cursors()).map((c) => [c._id, c]));
    for (const h of horizons) {
      if (this.done()) break;
      const cursor = cursors.get(h.key);
      const until = horizonCutoff(h, this.o.now);
      if (cursor) await this.walk(h, daysToWalk(nextDay(cursor.day), until, Number.MAX_SAFE_INTEGER));
      else {
        stored ??= await this.o.store.retention.storedDays();
        const last = lastWholeDay(until);
        await this.walk(
          h,
          stored.filter((d) => d <= last),
          last,
        );
      }
    }
    this.tally.kept.unsettled = this.inFlight.size;
    return this.tally;
  }

  private done(): boolean {
    return this.lost || this.o.stopped();
  }

  private async dropStaleCursors(horizons: readonly Horizon[]): Promise<void> {
    const keys = new Set(horizons.map((h) => h.key));
    for (const c of await this.o.store.retention.cursors()) if (!keys.has(c._id)) await this.o.store.retention.dropCursor(c._id);
  }

  /** Held messages: released once gone, settled (then decided as any other) or their grace ended. */
  private async heldPass(): Promise<void> {
    const { store, now } = this.o;
    const held = await store.retention.held();
    const due = held.filter((h) => !h.notBefore || h.notBefore.getTime() <= now);
    for (const h of held) if (h.notBefore && h.notBefore.getTime() > now) this.graced.add(h._id);
    this.tally.kept.restored = this.graced.size;
    for (let i = 0; i < due.length && !this.done(); i += this.o.batch) {
      const slice = due.slice(i, i + this.o.batch);
      const states = await store.retention.states(slice.map((h) => h._id));
      const release = new Set(slice.map((h) => h._id));
      for (const head of states) {
        const verdict = decide(head, this.o.channels.get(head.channelId), this.o.global, now);
        if (verdict === 'unsettled') {
          release.delete(head._id);
          this.inFlight.add(head._id);
        } else if (verdict === 'prune') this.pending.push(head);
      }
      await this.flush();
      await store.retention.release([...release]);
      await this.o.pacer.rest(true);
    }
  }

  /**
   * Walks one horizon's `days` (oldest first), saving its cursor after each; `through`: where the
   * cursor ends once they are done (the last whole day before the cut-off, when only the days
   * holding messages were given).
   */
  private async walk(h: Horizon, days: readonly string[], through?: string): Promise<void> {
    for (const day of days) {
      if (this.done()) return;
      await this.o.store.retention.eachStateOfDay(day, async (heads) => {
        this.decideAll(heads);
        if (this.pending.length >= this.o.batch) await this.flush();
        await this.o.pacer.rest();
      });
      this.tally.daysRead++;
      if (!(await this.dayDone(h, day))) return;
    }
    if (through && !this.done() && through > (days.at(-1) ?? '')) await this.dayDone(h, through);
  }

  /** Flushes what is pending, saves the held messages and the cursor at `day`, renews the lease; false when the walk must stop. */
  private async dayDone(h: Horizon, day: string): Promise<boolean> {
    await this.flush();
    if (this.lost) return false;
    await this.o.store.retention.hold(this.toHold.splice(0));
    await this.o.store.retention.saveCursor({ _id: h.key, days: h.days, day });
    if (!(await this.o.heartbeat())) this.lost = true;
    await this.o.pacer.rest();
    return !this.lost;
  }

  private decideAll(heads: readonly MessageState[]): void {
    for (const head of heads) {
      if (this.graced.has(head._id)) continue;
      const verdict = decide(head, this.o.channels.get(head.channelId), this.o.global, this.o.now);
      if (verdict === 'prune') this.pending.push(head);
      else if (verdict === 'unsettled' && !this.inFlight.has(head._id)) {
        this.toHold.push({ _id: head._id, reason: 'unsettled', since: new Date(this.o.now) });
        this.inFlight.add(head._id);
      }
    }
  }

  /** Archives and deletes what is pending, a batch at a time, renewing the lease after each. */
  private async flush(): Promise<void> {
    while (this.pending.length > 0 && !this.lost) {
      await this.removeBatch(this.pending.splice(0, this.o.batch));
      if (!(await this.o.heartbeat())) this.lost = true;
      await this.o.pacer.rest(true);
    }
  }

  /**
   * Archives (when archiving) and deletes one batch. Each state is deleted only if unchanged since
   * the walk read it (a replay that set it back in flight meanwhile keeps it; the archive then also
   * holds a copy of a message still stored, which a restore leaves as it is). A state whose content
   * is missing (an intake cut short) is deleted without being archived or counted.
   */
  private async removeBatch(states: readonly MessageState[]): Promise<void> {
    const { store, archive } = this.o;
    const ids = states.map((s) => s._id);
    const contents = archive ? await store.retention.contents(states) : undefined;
    if (archive && contents) {
      const groups = new Map<string, { content: MessageContent; state: MessageState }[]>();
      for (const state of states) {
        const content = contents.get(state._id);
        if (!content) continue;
        const key = `${content.receivedAt.toISOString().slice(0, 10)}\u0000${content.channelId}`;
        groups.set(key, [...(groups.get(key) ?? []), { content, state }]);
      }
      for (const [key, messages] of groups) {
        const [day, channelId] = key.split('\u0000') as [string, string];
        await archive.append(day, channelId, messages);
      }
    }
    await this.o.deleting(ids);
    const deleted = await store.retention.deleteMessages(states.map((s) => ({ id: s._id, updatedAt: s.updatedAt })));
    await this.o.deleting(undefined);
    for (const s of states) {
      if (!deleted.has(s._id) || (contents && !contents.has(s._id))) continue;
      const byStatus = (this.tally.removed[s.channelId] ??= {});
      byStatus[s.status] = (byStatus[s.status] ?? 0) + 1;
    }
  }
}
