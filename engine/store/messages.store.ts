import type { Filter, WithId } from 'mongodb';
import { SwitchboardError } from '../errors.ts';
import { messageIdTime } from '../ids.ts';
import type { DeliverableRecord, MessageRecord, RoutePlan } from './message-record.ts';
import { GroupCommit } from './group-commit.ts';
import { listNewestFirst } from './message-list.ts';
import { orderKeysOf } from './order-keys.ts';
import { receivedMinuteOf } from './received-minute.ts';
import { searchKey, searchKeysOf } from './search-keys.ts';
import { isUnsettledStatus, MessageStatus, ReplayableStatus } from './states.ts';
import { statusUpdate } from './status-update.ts';
import { storeCall } from './store-call.ts';
import type { StoreContext } from './store-context.ts';
import { storeTransaction, type TransactionEntry } from './transaction-insert.ts';

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

/** Lookups by `_id` sent at once by lookUp. */
const LOOKUPS_IN_FLIGHT = 32;

/**
 * The store's messages role: inserts a message (or a FHIR transaction's entries), reads messages
 * by id, searches them, and saves what routing decided. Every method throws
 * `SwitchboardError('STORE_UNAVAILABLE')` when the server cannot be reached or does not confirm the write.
 */
export class MessageStore {
  /** Group commit of inserts, made on the first insert (the collection exists once the store started). */
  private inserts: GroupCommit<MessageRecord> | undefined;

  constructor(private readonly ctx: StoreContext) {}

  /**
   * Inserts a new message durably (group commit: messages of several connections arriving together share one insertMany, see GroupCommit).
   * On a duplicate `dedupeKey`, returns the stored message instead, and whether it has the same `contentHash` (true when either has none).
   * Resolves only once the server confirmed the write (w: majority, j: true). `forDelivery()` returns the inserted message as
   * `getForDelivery` would read it back, without reading it (DeliveryHandoff).
   */
  async insert(
    record: MessageRecord,
  ): Promise<
    { inserted: true; forDelivery: () => DeliverableRecord } | { inserted: false; existing: MessageRecord; sameContent: boolean }
  > {
    const { sealer } = this.ctx;
    const sealed = withStoredKeys(sealer.seal(withSearchFields(record)));
    this.inserts ??= new GroupCommit({ collection: this.ctx.messages() });
    const inserts = this.inserts;
    const outcome = await storeCall(() => inserts.insert(sealed));
    if (outcome === 'inserted') {
      // Without raw now, so that a message held for delivery never keeps its frame's bytes alive.
      const { raw: _raw, ...stored } = sealed;
      return { inserted: true, forDelivery: () => sealer.open(stored) };
    }
    const existing = await storeCall(() => this.ctx.messages().findOne({ dedupeKey: sealed.dedupeKey }));
    if (!existing) throw new SwitchboardError('STORE_UNAVAILABLE', 'duplicate key reported but no stored message found');
    // Compared as stored (keyed when SEARCH_HASH_KEY is set); a record without a hash is taken as the same.
    const sameContent = !sealed.contentHash || !existing.contentHash || existing.contentHash === sealed.contentHash;
    return { inserted: false, existing: sealer.open(existing), sameContent };
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
    const docs = records.map((r) => withStoredKeys(this.ctx.sealer.seal(withSearchFields(r))));
    const commit = (staged: MessageRecord) => {
      const orderKeys = orderKeysOf(staged.deliveries);
      return statusUpdate(MessageStatus.routed, {
        set: orderKeys.length > 0 ? { orderKeys } : {},
        unset: { staged: '', filteredReason: '' },
      });
    };
    return storeCall(() => storeTransaction(this.ctx.messages(), docs, commit));
  }

  /** What a delivery needs of a message: everything but its raw content (which may be 1 MB). */
  async getForDelivery(id: string): Promise<DeliverableRecord | null> {
    const doc = await this.findById(id, { raw: 0 });
    return doc && this.ctx.sealer.open(doc);
  }

  async get(id: string): Promise<MessageRecord | null> {
    const doc = await this.findById(id);
    return doc && this.ctx.sealer.open(doc);
  }

  /** Whole messages by id; ids not found are left out (see lookUp). */
  async getMany(ids: readonly string[]): Promise<MessageRecord[]> {
    return (await this.lookUp(ids)).map((d) => this.ctx.sealer.open(d));
  }

  /** Saves what routing decided for a `received` message (see planRoute); no effect on any other status. */
  async applyPlan(id: string, plan: RoutePlan): Promise<void> {
    const set: Record<string, unknown> = {};
    if (plan.status === MessageStatus.errored)
      Object.assign(set, { error: { code: plan.error.code, detail: plan.error.message }, errorCodes: [plan.error.code] });
    else {
      const deliveries = this.ctx.sealer.deliveries(plan.deliveries);
      Object.assign(set, { canonical: this.ctx.sealer.canonical(plan.events), deliveries, destinationIds: Object.keys(plan.deliveries) });
      const orderKeys = orderKeysOf(deliveries);
      if (orderKeys.length > 0) set.orderKeys = orderKeys;
    }
    if (plan.status === MessageStatus.filtered) set.filteredReason = plan.reason;
    await storeCall(() => this.ctx.messages().updateOne({ _id: id, status: MessageStatus.received }, statusUpdate(plan.status, { set })));
  }

  /**
   * Sends an `errored` or `filtered` message back to `received`, so the route worker routes it
   * again with the current transforms. Returns false when the message is in any other state.
   */
  async resetForReroute(id: string): Promise<boolean> {
    const res = await storeCall(() =>
      this.ctx.messages().updateOne(
        { _id: id, status: { $in: [MessageStatus.errored, MessageStatus.filtered] } },
        statusUpdate(MessageStatus.received, {
          set: { deliveries: {} },
          unset: { error: '', filteredReason: '', canonical: '', orderKeys: '' },
        }),
      ),
    );
    return res.modifiedCount === 1;
  }

  /**
   * Messages with at least one delivery in `status` (by message status: dead or partially delivered
   * for `dead`, delivered or partially delivered for `delivered`), without their raw content and
   * canonical events; `order` 1 is oldest first (replays go in arrival order), -1 newest first.
   */
  async findWithDeliveriesIn(q: {
    status: ReplayableStatus;
    channelId?: string;
    from?: Date;
    to?: Date;
    ids?: string[];
    limit: number;
    order: 1 | -1;
  }): Promise<Omit<MessageRecord, 'raw' | 'canonical'>[]> {
    const statuses: MessageStatus[] =
      q.status === ReplayableStatus.dead
        ? [MessageStatus.dead, MessageStatus.partiallyDelivered]
        : [MessageStatus.delivered, MessageStatus.partiallyDelivered];
    const projection = { raw: 0, canonical: 0 } as const;
    if (q.ids) {
      // By id: one lookup per id (see getMany), the rest of the filter applied here.
      const found = await this.lookUp(q.ids, projection);
      const wanted = found.filter(
        (d) =>
          statuses.includes(d.status) &&
          (!q.channelId || d.channelId === q.channelId) &&
          (!q.from || d.receivedAt >= q.from) &&
          (!q.to || d.receivedAt <= q.to),
      );
      return wanted
        .sort(byId(q.order))
        .slice(0, q.limit)
        .map((d) => this.ctx.sealer.open(d));
    }
    const filter: Filter<MessageRecord> = {};
    if (q.channelId) filter.channelId = q.channelId;
    if (q.from || q.to) filter.receivedAt = { ...(q.from ? { $gte: q.from } : {}), ...(q.to ? { $lte: q.to } : {}) };
    // One query per status, merged: FerretDB 1.24 passes `status: <value>` down to PostgreSQL, so
    // it reads the dead-lettered (or delivered) messages only; `status: { $in }` it does not, and
    // read and decoded the whole collection (50,000 messages, 14,286 of them dead or partially
    // delivered: 8.5 s against 2.6 s; the fewer dead, the larger the gain).
    const perStatus = await Promise.all(
      statuses.map((status) =>
        storeCall(() =>
          this.ctx
            .messages()
            .find({ ...filter, status }, { projection, sort: { _id: q.order }, limit: q.limit })
            .toArray(),
        ),
      ),
    );
    return perStatus
      .flat()
      .sort(byId(q.order))
      .slice(0, q.limit)
      .map((d) => this.ctx.sealer.open(d));
  }

  /** A page of messages, newest first, without their raw content and canonical events (see listNewestFirst). */
  async list(query: MessageQuery): Promise<Omit<MessageRecord, 'raw' | 'canonical'>[]> {
    const filter = this.listFilter(query);
    const newest = Math.min(
      query.to?.getTime() ?? Infinity,
      (query.before ? messageIdTime(query.before) : undefined) ?? Infinity,
      Date.now(),
    );
    const docs = await storeCall(() =>
      listNewestFirst(this.ctx.messages(), {
        filter,
        limit: query.limit,
        newest: new Date(newest),
        ...(query.from ? { lower: query.from } : {}),
      }),
    );
    return docs.map((d) => this.ctx.sealer.open(d));
  }

  /** The filter of `list`: exact searches by their stored keys (search-keys.ts), the rest by field. */
  private listFilter(query: MessageQuery): Filter<MessageRecord> {
    const filter: Filter<MessageRecord> = {};
    if (query.channelId) filter.channelId = query.channelId;
    if (query.status) filter.status = query.status;
    // One exact search by its key (search-keys.ts); the other, when both are given, by the summary's field.
    const mrn = query.mrn && this.ctx.sealer.searchValue(query.mrn);
    const controlId = query.controlId && this.ctx.sealer.searchValue(query.controlId);
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
    return filter;
  }

  /** One stored document by `_id`, as stored (not opened), without the fields `projection` leaves out. */
  private findById(id: string, projection?: Record<string, 0>): Promise<WithId<MessageRecord> | null> {
    return storeCall(() => this.ctx.messages().findOne({ _id: id }, projection ? { projection } : {}));
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
}

/** The index-only fields of a new message: where it is routed, the error it met at intake, the flag of its status, its minute. */
function withSearchFields(r: MessageRecord): MessageRecord {
  const { unsettled: _given, ...rest } = r;
  return {
    ...rest,
    ...(isUnsettledStatus(r.status) ? { unsettled: true } : {}),
    destinationIds: Object.keys(r.deliveries),
    errorCodes: r.error ? [r.error.code] : [],
    receivedMinute: receivedMinuteOf(r.receivedAt),
  };
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
