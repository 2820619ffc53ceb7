import { MongoClient, MongoServerError, ServerApiVersion, type Collection, type Db, type Document, type Filter, type UpdateFilter, type WithId } from 'mongodb';
import { SwitchboardError } from '../errors.ts';
import { isTerminalDelivery, isUnsettledStatus, MessageStatus, ReplayState, settledMessageStatus, type DeliveryStatus, type ReplayableStatus } from './states.ts';
import { transformVersions, type CanonicalEvent, type DeliverableRecord, type DeliveryAttempt, type DeliveryRecord, type MessageRecord, type ReplayRecord, type RoutePlan } from './message-record.ts';
import { RecordSealer } from './record-sealer.ts';
import { receivedMinuteOf } from './received-minute.ts';
import { listNewestFirst } from './message-list.ts';
import { messageIdTime } from '../ids.ts';
import { DUPLICATE_KEY, GroupCommit } from './group-commit.ts';
import { backfillOrderKeys, orderKeyEntry, orderKeysOf } from './order-keys.ts';
import { ensureMessageIndexes, isFerretDb } from './message-indexes.ts';
import { backfillReplayIds } from './replay-ids.ts';
import { backfillSearchKeys, searchKey, searchKeysOf } from './search-keys.ts';
import { storeTransaction, type TransactionEntry } from './transaction-insert.ts';
import { KeyedLock } from './keyed-lock.ts';

/** Durable: acknowledged by a majority and journaled before a sender hears AA. */
const DURABLE = { w: 'majority', j: true } as const;

export interface MessageQuery {
  channelId?: string;
  status?: MessageStatus;
  controlId?: string;
  mrn?: string;
  limit: number;
  /** Opaque cursor: the last `_id` of the previous page (ids are time-ordered UUIDv7). */
  before?: string;
  /** Only these channels (a user's scope); with `channelId` too, both must hold. */
  channelIds?: readonly string[];
  /** `ADT` or `ADT^A01`; for FHIR messages the resource type. */
  messageType?: string;
  /** Received at or after / before. */
  from?: Date;
  to?: Date;
  /** Messages routed to this destination. */
  destinationId?: string;
  /** Messages that met this error code (intake, routing or any delivery attempt's last error). */
  errorCode?: string;
}

export interface DeliveryUpdate {
  status: DeliveryStatus;
  attempt?: DeliveryAttempt;
  sentEvents?: number;
  lastError?: DeliveryRecord['lastError'];
  nextAttemptAt?: Date;
  peerDocumentIds?: string[];
  /**
   * The message as the caller read it before the attempt. When the new status is terminal and
   * every other delivery it shows was too, the message is settled in the same write, on condition
   * that nothing changed meanwhile (otherwise the update falls back to a separate settle).
   */
  seen?: Pick<MessageRecord, 'status' | 'deliveries'>;
}

/**
 * The MongoDB system of record (runs on MongoDB 6+ and on FerretDB: CRUD, unique and compound
 * indexes, simple aggregations only). Every method throws `SwitchboardError('STORE_UNAVAILABLE')`
 * when the server cannot be reached or does not confirm the write.
 */
export class MongoStore {
  private readonly client: MongoClient;
  private db!: Db;
  private messages!: Collection<MessageRecord>;
  private inserts!: GroupCommit<MessageRecord>;
  private closing: Promise<void> | undefined;
  private readonly sealer: RecordSealer;
  /** Delivery updates of one message, one at a time in this process (FerretDB's updates are read-modify-write; see KeyedLock). */
  private readonly deliveryUpdates = new KeyedLock();

  /** `sealer`: encryption at rest and keyed search hashes (see RecordSealer); default: neither. */
  constructor(private readonly options: { url: string; dbName: string; serverSelectionTimeoutMs?: number; sealer?: RecordSealer }) {
    this.sealer = options.sealer ?? new RecordSealer();
    this.client = new MongoClient(options.url, {
      serverSelectionTimeoutMS: options.serverSelectionTimeoutMs ?? 2000,
      connectTimeoutMS: 2000,
      socketTimeoutMS: 10_000,
      // Raw message bytes come back as Buffers, not BSON Binary wrappers.
      promoteBuffers: true,
      // OP_MSG from the first handshake (FerretDB 1.24's legacy OP_QUERY reader can panic on it).
      serverApi: { version: ServerApiVersion.v1, strict: false },
    });
  }

  async start(): Promise<void> {
    await this.client.connect();
    this.db = this.client.db(this.options.dbName);
    this.messages = this.db.collection<MessageRecord>('messages', { writeConcern: DURABLE });
    this.inserts = new GroupCommit({ collection: this.messages });
    await ensureMessageIndexes({ messages: this.messages, replays: this.replays(), ferretdb: await isFerretDb(this.db) });
    await this.guard(() => backfillOrderKeys(this.messages, this.meta()));
    await this.guard(() => backfillSearchKeys(this.messages, this.meta()));
    await this.guard(() => backfillReplayIds(this.messages, this.meta()));
  }

  /**
   * For an ordered destination: the id of the earliest message before `id` with the same order key
   * whose delivery is still open (pending or retrying; dead too when the policy blocks), if any.
   * Reads by `orderKeys` (see order-keys.ts): the messages of this key of this destination only.
   */
  async findOrderBlocker(o: { id: string; destinationId: string; orderKey: string; deadBlocks: boolean }): Promise<string | undefined> {
    const open = o.deadBlocks ? ['pending', 'retrying', 'dead'] : ['pending', 'retrying'];
    const blocker = await this.guard(() =>
      this.messages.findOne({ orderKeys: orderKeyEntry(o.destinationId, o.orderKey), _id: { $lt: o.id }, [`deliveries.${o.destinationId}.status`]: { $in: open } } as Filter<MessageRecord>, { projection: { _id: 1 }, sort: { _id: 1 } }),
    );
    return blocker?._id;
  }

  async ping(): Promise<void> {
    await this.guard(() => this.db.command({ ping: 1 }));
  }

  /**
   * Inserts a new message durably (group commit: messages of several connections arriving together
   * share one insertMany, see GroupCommit). On a duplicate `dedupeKey`, returns the stored message
   * instead, and whether it has the same `contentHash` (true when either has none). Resolves only once the server confirmed the write (w: majority, j: true).
   * `forDelivery()` returns the inserted message as `getForDelivery` would read it back, without
   * reading it (DeliveryHandoff).
   */
  async insertMessage(record: MessageRecord): Promise<{ inserted: true; forDelivery: () => DeliverableRecord } | { inserted: false; existing: MessageRecord; sameContent: boolean }> {
    const sealed = withStoredKeys(this.sealer.seal(withSearchFields(record)));
    const outcome = await this.guard(() => this.inserts.insert(sealed));
    if (outcome === 'inserted') {
      // Without raw now, so that a message held for delivery never keeps its frame's bytes alive.
      const { raw: _raw, ...stored } = sealed;
      return { inserted: true, forDelivery: () => this.sealer.open(stored) };
    }
    const existing = await this.guard(() => this.messages.findOne({ dedupeKey: sealed.dedupeKey }));
    if (!existing) throw new SwitchboardError('STORE_UNAVAILABLE', 'duplicate key reported but no stored message found');
    // Compared as stored (keyed when SEARCH_HASH_KEY is set); a record without a hash is taken as the same.
    const sameContent = !sealed.contentHash || !existing.contentHash || existing.contentHash === sealed.contentHash;
    return { inserted: false, existing: this.sealer.open(existing), sameContent };
  }

  /**
   * Stores the entries of one FHIR transaction as a unit: none becomes deliverable before every one
   * is durable (staged, then committed; see storeTransaction for the one window a store failing
   * during the commit leaves open). An entry whose
   * `dedupeKey` exists is the earlier attempt's, completed if it was left staged. Returns each
   * entry's message id, whether this call stored it, and whether this call committed it (then the
   * caller queues its deliveries).
   */
  async insertTransaction(records: readonly MessageRecord[]): Promise<TransactionEntry[]> {
    const docs = records.map((r) => withStoredKeys(this.sealer.seal(withSearchFields(r))));
    const commit = (staged: MessageRecord) => {
      const orderKeys = orderKeysOf(staged.deliveries);
      return statusUpdate(MessageStatus.routed, { set: orderKeys.length > 0 ? { orderKeys } : {}, unset: { staged: '', filteredReason: '' } });
    };
    return this.guard(() => storeTransaction(this.messages, docs, commit));
  }

  /** What a delivery needs of a message: everything but its raw content (which may be 1 MB). */
  async getForDelivery(id: string): Promise<DeliverableRecord | null> {
    const doc = await this.findById(id, { raw: 0 });
    return doc && this.sealer.open(doc);
  }

  async getMessage(id: string): Promise<MessageRecord | null> {
    const doc = await this.findById(id);
    return doc && this.sealer.open(doc);
  }

  /** One stored document by `_id`, as stored (not opened), without the fields `projection` leaves out. */
  private findById(id: string, projection?: Record<string, 0>): Promise<WithId<MessageRecord> | null> {
    return this.guard(() => this.messages.findOne({ _id: id }, projection ? { projection } : {}));
  }

  /** Saves what routing decided for a `received` message (see planRoute); no effect on any other status. */
  async applyPlan(id: string, plan: RoutePlan): Promise<void> {
    const set: Record<string, unknown> = {};
    if (plan.status === MessageStatus.errored) Object.assign(set, { error: { code: plan.error.code, detail: plan.error.message }, errorCodes: [plan.error.code] });
    else {
      const deliveries = this.sealer.deliveries(plan.deliveries);
      Object.assign(set, { canonical: this.sealer.canonical(plan.events), deliveries, destinationIds: Object.keys(plan.deliveries) });
      const orderKeys = orderKeysOf(deliveries);
      if (orderKeys.length > 0) set.orderKeys = orderKeys;
    }
    if (plan.status === MessageStatus.filtered) set.filteredReason = plan.reason;
    await this.guard(() => this.messages.updateOne({ _id: id, status: MessageStatus.received }, statusUpdate(plan.status, { set })));
  }

  /**
   * Sends an `errored` or `filtered` message back to `received`, so the route worker routes it
   * again with the current transforms. Returns false when the message is in any other state.
   */
  async resetForReroute(id: string): Promise<boolean> {
    const res = await this.guard(() =>
      this.messages.updateOne(
        { _id: id, status: { $in: [MessageStatus.errored, MessageStatus.filtered] } },
        statusUpdate(MessageStatus.received, { set: { deliveries: {} }, unset: { error: '', filteredReason: '', canonical: '', orderKeys: '' } }),
      ),
    );
    return res.modifiedCount === 1;
  }

  /**
   * Messages with at least one delivery in `status` (by message status: dead or partially delivered
   * for `dead`, delivered or partially delivered for `delivered`), without their raw content and
   * canonical events; `order` 1 is oldest first (replays go in arrival order), -1 newest first.
   */
  async findWithDeliveriesIn(q: { status: ReplayableStatus; channelId?: string; from?: Date; to?: Date; ids?: string[]; limit: number; order: 1 | -1 }): Promise<Omit<MessageRecord, 'raw' | 'canonical'>[]> {
    const statuses: MessageStatus[] = q.status === 'dead' ? [MessageStatus.dead, MessageStatus.partiallyDelivered] : [MessageStatus.delivered, MessageStatus.partiallyDelivered];
    const projection = { raw: 0, canonical: 0 } as const;
    if (q.ids) {
      // By id: one lookup per id (see getMessages), the rest of the filter applied here.
      const found = await this.lookUp(q.ids, projection);
      const wanted = found.filter((d) => statuses.includes(d.status) && (!q.channelId || d.channelId === q.channelId) && (!q.from || d.receivedAt >= q.from) && (!q.to || d.receivedAt <= q.to));
      return wanted.sort(byId(q.order)).slice(0, q.limit).map((d) => this.sealer.open(d));
    }
    const filter: Filter<MessageRecord> = {};
    if (q.channelId) filter.channelId = q.channelId;
    if (q.from || q.to) filter.receivedAt = { ...(q.from ? { $gte: q.from } : {}), ...(q.to ? { $lte: q.to } : {}) };
    // One query per status, merged: FerretDB 1.24 passes `status: <value>` down to PostgreSQL, so
    // it reads the dead-lettered (or delivered) messages only; `status: { $in }` it does not, and
    // read and decoded the whole collection (50,000 messages, 14,286 of them dead or partially
    // delivered: 8.5 s against 2.6 s; the fewer dead, the larger the gain).
    const perStatus = await Promise.all(statuses.map((status) => this.guard(() => this.messages.find({ ...filter, status }, { projection, sort: { _id: q.order }, limit: q.limit }).toArray())));
    return perStatus.flat().sort(byId(q.order)).slice(0, q.limit).map((d) => this.sealer.open(d));
  }

  /**
   * Stored documents by id (as stored: not opened), those not found left out: one lookup per id,
   * LOOKUPS_IN_FLIGHT at a time. FerretDB 1.24 does not pass `_id: { $in }` down to PostgreSQL (it
   * would read the whole collection), while a lookup by one `_id` uses its index.
   */
  private async lookUp(ids: readonly string[], projection?: Record<string, 0>): Promise<WithId<MessageRecord>[]> {
    const found: WithId<MessageRecord>[] = [];
    for (let i = 0; i < ids.length; i += LOOKUPS_IN_FLIGHT) {
      const docs = await Promise.all(ids.slice(i, i + LOOKUPS_IN_FLIGHT).map((id) => this.findById(id, projection)));
      for (const d of docs) if (d) found.push(d);
    }
    return found;
  }

  /** Whole messages by id; ids not found are left out (see lookUp). */
  async getMessages(ids: readonly string[]): Promise<MessageRecord[]> {
    return (await this.lookUp(ids)).map((d) => this.sealer.open(d));
  }

  /**
   * Replay: saves the re-made canonical events and sets the chosen deliveries of `message` (as read
   * just before), if they are still in `from`, back to pending. A dead delivery keeps its
   * idempotency key (a peer that did take an ambiguous attempt de-duplicates it); a delivered one is
   * given `keys[destinationId]`, so the peer takes it as new. Returns the ids reset: none when the
   * message changed meanwhile (the update is conditional on every chosen delivery's status).
   */
  async resetForReplay(message: Pick<MessageRecord, '_id' | 'deliveries'>, o: { from: ReplayableStatus; destinationIds: string[]; events: CanonicalEvent[]; replayId: string; keys?: Record<string, string> }): Promise<string[]> {
    const reset = o.destinationIds.filter((d) => message.deliveries[d]?.status === o.from);
    if (reset.length === 0) return [];
    const set: Record<string, unknown> = { canonical: this.sealer.canonical(o.events) };
    // The order keys of the deliveries open once these are reset (see order-keys.ts).
    const orderKeys = orderKeysOf(message.deliveries, reset);
    if (orderKeys.length > 0) set.orderKeys = orderKeys;
    const filter: Record<string, unknown> = { _id: message._id };
    for (const d of reset) {
      set[`deliveries.${d}.status`] = 'pending';
      set[`deliveries.${d}.sentEvents`] = 0;
      set[`deliveries.${d}.replayId`] = o.replayId;
      const key = o.keys?.[d];
      if (key) set[`deliveries.${d}.idempotencyKey`] = key;
      filter[`deliveries.${d}.status`] = o.from;
    }
    const update = { ...statusUpdate(MessageStatus.routed, { set }), $addToSet: { replayIds: o.replayId } } as UpdateFilter<MessageRecord>;
    const res = await this.guard(() => this.messages.updateOne(filter as Filter<MessageRecord>, update));
    return res.modifiedCount === 1 ? reset : [];
  }

  /**
   * What a replay set back to pending, read from the messages themselves (so it holds whatever
   * process did it and wherever one died): each delivery that carries the replay's id, with its
   * key and the transform versions of the message's current events. Reads by `replayIds` (see
   * replay-ids.ts): the messages of this replay only.
   */
  async findReplayed(replayId: string): Promise<ReplayRecord['deliveries']> {
    const docs = await this.guard(() => this.messages.find({ replayIds: replayId }, { projection: { _id: 1, deliveries: 1, canonical: 1, kid: 1 }, sort: { _id: 1 } }).toArray());
    return docs.flatMap((doc) => {
      const m = this.sealer.open(doc);
      const versions = transformVersions(m.canonical?.events ?? []);
      return Object.values(m.deliveries)
        .filter((d) => d.replayId === replayId)
        .map((d) => ({ messageId: m._id, destinationId: d.destinationId, idempotencyKey: d.idempotencyKey, transformVersions: versions }));
    });
  }

  async insertReplay(record: ReplayRecord): Promise<void> {
    await this.guard(() => this.replays().insertOne(record));
  }

  /** Progress of a running replay (heartbeat renewed); with `done`, what it replayed and its end. */
  async updateReplay(id: string, u: Pick<ReplayRecord, 'progress' | 'refused'> & { done?: { deliveries: ReplayRecord['deliveries'] } }): Promise<void> {
    const set: Record<string, unknown> = { progress: u.progress, refused: u.refused, heartbeatAt: new Date() };
    if (u.done) Object.assign(set, { state: ReplayState.done, finishedAt: new Date(), deliveries: u.done.deliveries });
    await this.guard(() => this.replays().updateOne({ _id: id }, { $set: set }));
  }

  async getReplay(id: string): Promise<ReplayRecord | null> {
    return this.guard(() => this.replays().findOne({ _id: id }));
  }

  /** The last replays, newest first, without their lists of deliveries (see getReplay). */
  async listReplays(limit: number): Promise<Omit<ReplayRecord, 'deliveries'>[]> {
    return this.guard(() => this.replays().find({}, { projection: { deliveries: 0 }, sort: { at: -1 }, limit }).toArray());
  }

  /** Renews a running replay's heartbeat (while a step takes long). */
  async touchReplay(id: string): Promise<void> {
    await this.guard(() => this.replays().updateOne({ _id: id, state: ReplayState.running }, { $set: { heartbeatAt: new Date() } }));
  }

  /**
   * Takes over one running replay whose heartbeat is older than `staleBefore` (its process died),
   * other than those in `except` (this process's own): renews the heartbeat only if nobody else did
   * meanwhile. Returns it without its list of deliveries, or null when there is none.
   */
  async claimStaleReplay(staleBefore: Date, except: readonly string[]): Promise<ReplayRecord | null> {
    const stale = await this.guard(() =>
      this.replays().findOne({ state: ReplayState.running, heartbeatAt: { $lt: staleBefore }, ...(except.length ? { _id: { $nin: [...except] } } : {}) }, { projection: { deliveries: 0 } }),
    );
    if (!stale) return null;
    const res = await this.guard(() => this.replays().updateOne({ _id: stale._id, heartbeatAt: stale.heartbeatAt }, { $set: { heartbeatAt: new Date() } }));
    return res.modifiedCount === 1 ? { ...stale, deliveries: [] } : null;
  }

  private replays(): Collection<ReplayRecord> {
    return this.db.collection<ReplayRecord>('replays', { writeConcern: DURABLE });
  }

  /**
   * Records a delivery attempt and the destination's new state, and settles the message status
   * (delivered, partially-delivered, dead) once no destination is open: in the same write when
   * `update.seen` shows the others closed and still holds, else by a separate settle. The updates
   * of one message run one at a time within this process (KeyedLock).
   */
  updateDelivery(id: string, destinationId: string, update: DeliveryUpdate): Promise<void> {
    return this.deliveryUpdates.run(id, () => this.writeDelivery(id, destinationId, update));
  }

  private async writeDelivery(id: string, destinationId: string, update: DeliveryUpdate): Promise<void> {
    const prefix = `deliveries.${destinationId}`;
    const set: Record<string, unknown> = { [`${prefix}.status`]: update.status };
    if (update.sentEvents !== undefined) set[`${prefix}.sentEvents`] = update.sentEvents;
    if (update.lastError) set[`${prefix}.lastError`] = this.sealer.peerAnswer(update.lastError);
    if (update.nextAttemptAt) set[`${prefix}.nextAttemptAt`] = update.nextAttemptAt;
    if (update.status === 'delivered') set[`${prefix}.deliveredAt`] = new Date();
    if (update.peerDocumentIds) set[`${prefix}.peerDocumentIds`] = update.peerDocumentIds;
    // Delivered: its order key can hold no later message any more (see order-keys.ts).
    const orderKey = update.status === 'delivered' ? update.seen?.deliveries[destinationId]?.orderKey : undefined;
    const push = {
      ...(update.attempt ? { $push: { [`${prefix}.attempts`]: this.sealer.peerAnswer(update.attempt) } } : {}),
      ...(update.lastError ? { $addToSet: { errorCodes: update.lastError.code } } : {}),
      ...(orderKey ? { $pull: { orderKeys: orderKeyEntry(destinationId, orderKey) } } : {}),
    };
    const plain = { $set: { ...set, updatedAt: new Date() }, ...push } as never;
    // Still open: nothing to settle, and nothing to read back.
    if (!isTerminalDelivery(update.status)) {
      await this.guard(() => this.messages.updateOne({ _id: id }, plain));
      return;
    }
    const others = update.seen && Object.values(update.seen.deliveries).filter((d) => d.destinationId !== destinationId);
    if (update.seen?.status === MessageStatus.routed && others?.every((d) => isTerminalDelivery(d.status))) {
      const settled = settledMessageStatus([...others.map((d) => d.status), update.status]);
      const unchanged = { _id: id, status: MessageStatus.routed, ...Object.fromEntries(others.map((d) => [`deliveries.${d.destinationId}.status`, d.status])) };
      const res = await this.guard(() => this.messages.updateOne(unchanged as Filter<MessageRecord>, { ...statusUpdate(settled, { set }), ...push } as never));
      if (res.matchedCount === 1) return;
    }
    // The whole document back: FerretDB 1.24 implements no projection for findAndModify.
    const after = await this.guard(() => this.messages.findOneAndUpdate({ _id: id }, plain, { returnDocument: 'after' }));
    if (after) await this.settleNow(after);
  }

  /**
   * Sets a routed message's status from its deliveries once none is open. Called after each
   * delivery update and by the relay: two destinations finishing one message at the same instant
   * may each see the other still open (and on FerretDB, whose updates are read-modify-write, may
   * overwrite each other); the relay's pass settles what they left. In line with this process's
   * delivery updates of the message (KeyedLock).
   */
  settle(message: Pick<MessageRecord, '_id' | 'status' | 'deliveries'>): Promise<void> {
    return this.deliveryUpdates.run(message._id, () => this.settleNow(message));
  }

  private async settleNow(message: Pick<MessageRecord, '_id' | 'status' | 'deliveries'>): Promise<void> {
    const settled = settledMessageStatus(Object.values(message.deliveries).map((d) => d.status));
    if (settled !== message.status && message.status === MessageStatus.routed) {
      await this.guard(() => this.messages.updateOne({ _id: message._id, status: MessageStatus.routed }, statusUpdate(settled)));
    }
  }

  /**
   * Messages not yet settled and untouched since `olderThan`: what the relay checks against Redis.
   * Reads by the `unsettled` flag (an index of the messages in flight only, on MongoDB and FerretDB).
   */
  async findUnsettled(olderThan: Date, limit: number): Promise<UnsettledMessage[]> {
    return this.guard(() =>
      this.messages.find({ unsettled: true, updatedAt: { $lt: olderThan } }, { projection: UNSETTLED_PROJECTION, limit }).toArray(),
    );
  }

  /**
   * The relay's sweep: messages in flight by their status that lack the `unsettled` flag (stored
   * before the flag existed, or by a process of an older version during an upgrade), up to `limit`
   * per status. One equality per status, which FerretDB passes down, but no index serves it: on
   * FerretDB a scan of the whole collection. Call it rarely (RELAY_SWEEP_MS).
   */
  async findUnflagged(limit: number): Promise<UnsettledMessage[]> {
    const found = await Promise.all(
      [MessageStatus.received, MessageStatus.routed].map((status) =>
        this.guard(() => this.messages.find({ status, unsettled: { $ne: true } }, { projection: UNSETTLED_PROJECTION, limit }).toArray()),
      ),
    );
    return found.flat();
  }

  /** When a sweep (findUnflagged until none was left) last ended, by any process; undefined before the first. */
  async lastSweep(): Promise<Date | undefined> {
    const doc = await this.guard(() => this.meta().findOne({ _id: 'relay-sweep' }));
    return doc?.at;
  }

  async markSwept(at: Date): Promise<void> {
    await this.guard(() => this.meta().updateOne({ _id: 'relay-sweep' }, { $set: { at } }, { upsert: true }));
  }

  private meta(): Collection<{ _id: string; at: Date }> {
    return this.db.collection<{ _id: string; at: Date }>('meta', { writeConcern: DURABLE });
  }

  /**
   * Sets the `unsettled` flag to what the message's status says, if its status is still `status`
   * (the relay's repair of a message found by findUnflagged, or flagged but settled).
   */
  async syncUnsettled(id: string, status: MessageStatus): Promise<void> {
    const update = isUnsettledStatus(status) ? { $set: { unsettled: true as const } } : { $unset: { unsettled: '' as const } };
    await this.guard(() => this.messages.updateOne({ _id: id, status }, update));
  }

  async listMessages(query: MessageQuery): Promise<Omit<MessageRecord, 'raw' | 'canonical'>[]> {
    const filter: Filter<MessageRecord> = {};
    if (query.channelId) filter.channelId = query.channelId;
    if (query.status) filter.status = query.status;
    // One exact search by its key (search-keys.ts); the other, when both are given, by the summary's field.
    const mrn = query.mrn && this.sealer.searchValue(query.mrn);
    const controlId = query.controlId && this.sealer.searchValue(query.controlId);
    if (mrn) filter.searchKeys = searchKey('mrn', mrn);
    if (controlId && mrn) filter['summary.controlId'] = controlId;
    else if (controlId) filter.searchKeys = searchKey('controlId', controlId);
    if (query.channelIds && !query.channelId) filter.channelId = { $in: [...query.channelIds] };
    if (query.messageType) {
      const [type, trigger] = query.messageType.split('^');
      filter['summary.messageType'] = type;
      if (trigger) filter['summary.triggerEvent'] = trigger;
    }
    if (query.from || query.to) filter.receivedAt = { ...(query.from ? { $gte: query.from } : {}), ...(query.to ? { $lt: query.to } : {}) };
    if (query.destinationId) filter.destinationIds = query.destinationId;
    if (query.errorCode) filter.errorCodes = query.errorCode;
    if (query.before) filter._id = { $lt: query.before };
    const newest = Math.min(query.to?.getTime() ?? Infinity, (query.before ? messageIdTime(query.before) : undefined) ?? Infinity, Date.now());
    const docs = await this.guard(() => listNewestFirst(this.messages, { filter, limit: query.limit, newest: new Date(newest), ...(query.from ? { lower: query.from } : {}) }));
    return docs.map((d) => this.sealer.open(d));
  }

  /**
   * Key rotation: re-seals every record not sealed under the active key and returns how many it
   * changed. Records keep working meanwhile (every configured key decrypts). A record's deliveries
   * are rewritten whole, so run it while no delivery of old records is in flight (after the new key
   * has been first in the ring for a while, or with workers stopped). One cursor over the
   * collection: FerretDB passes neither `$ne` nor a limit down, so repeated limited reads would each
   * read the whole collection.
   */
  async resealAll(): Promise<number> {
    const active = this.sealer.activeKeyId;
    if (!active) return 0;
    const cursor = this.messages.find({ kid: { $exists: true, $ne: active } }, { batchSize: 500 });
    let changed = 0;
    try {
      for (;;) {
        const doc = await this.guard(() => cursor.next());
        if (!doc) break;
        const set = this.sealer.reseal(doc);
        if (!set) continue;
        await this.guard(() => this.messages.updateOne({ _id: doc._id, kid: doc.kid }, { $set: set }));
        changed++;
      }
    } finally {
      await cursor.close().catch(() => undefined);
    }
    return changed;
  }

  /** Closes the client once; later calls return the same promise. */
  close(): Promise<void> {
    this.closing ??= this.client.close().catch(() => undefined);
    return this.closing;
  }

  /** Another room's collection in the same database (users, sessions, audit), with durable writes. */
  collection<T extends Document>(name: string): Collection<T> {
    return this.db.collection<T>(name, { writeConcern: DURABLE });
  }

  private guard<T>(op: () => Promise<T>): Promise<T> {
    return storeCall(op);
  }
}

/** What the relay reads of a message. */
export type UnsettledMessage = Pick<MessageRecord, '_id' | 'channelId' | 'status' | 'deliveries'>;
/** Lookups by `_id` sent at once by lookUp. */
const LOOKUPS_IN_FLIGHT = 32;

const UNSETTLED_PROJECTION = { _id: 1, channelId: 1, status: 1, deliveries: 1 } as const;

/**
 * An update that writes a message's status, and with it `updatedAt` and the `unsettled` flag set or
 * removed to match (see MessageRecord.unsettled): every write of a status goes through here.
 */
function statusUpdate(status: MessageStatus, o: { set?: Record<string, unknown>; unset?: Record<string, ''> } = {}): UpdateFilter<MessageRecord> {
  const flagged = isUnsettledStatus(status);
  const $set = { ...o.set, status, updatedAt: new Date(), ...(flagged ? { unsettled: true } : {}) };
  const $unset = { ...o.unset, ...(flagged ? {} : { unsettled: '' }) };
  return (Object.keys($unset).length > 0 ? { $set, $unset } : { $set }) as UpdateFilter<MessageRecord>;
}

/** The index-only fields of a new message: where it is routed, the error it met at intake, the flag of its status, its minute. */
function withSearchFields(r: MessageRecord): MessageRecord {
  const { unsettled: _given, ...rest } = r;
  return { ...rest, ...(isUnsettledStatus(r.status) ? { unsettled: true } : {}), destinationIds: Object.keys(r.deliveries), errorCodes: r.error ? [r.error.code] : [], receivedMinute: receivedMinuteOf(r.receivedAt) };
}

/** A new message as it is stored (its keys hashed when they are) with its `searchKeys` and `orderKeys` entries, if any. */
function withStoredKeys(sealed: MessageRecord): MessageRecord {
  const orderKeys = orderKeysOf(sealed.deliveries);
  return { ...sealed, searchKeys: searchKeysOf(sealed.summary), ...(orderKeys.length > 0 ? { orderKeys } : {}) };
}

/** Orders documents by `_id`: `order` 1 ascending, -1 descending. */
function byId(order: 1 | -1): (a: { _id: string }, b: { _id: string }) => number {
  return (a, b) => (a._id < b._id ? -order : a._id > b._id ? order : 0);
}

/** Runs a driver call, turning every failure into STORE_UNAVAILABLE with the cause kept (not its text). */
export async function storeCall<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    // A failure the store code classified itself (a transaction's conflict) keeps its code.
    if (err instanceof SwitchboardError) throw err;
    throw new SwitchboardError('STORE_UNAVAILABLE', err instanceof Error ? err.name : 'store failure', { cause: err });
  }
}

export { isDuplicateKey };

function isDuplicateKey(err: unknown): boolean {
  return err instanceof MongoServerError && err.code === DUPLICATE_KEY;
}
