import { SwitchboardError } from '../errors.ts';
import { findWithDeliveriesIn, type DeliveriesInQuery } from './deliveries-in.ts';
import { GroupCommit } from './group-commit.ts';
import { lookUp } from './lookup.ts';
import type { DeliverableRecord, MessageRecord, RoutePlan } from './message-record.ts';
import { listMessages, type ListedMessage, type MessageQuery } from './message-list.ts';
import { mergeRecord, splitRecord, type MessageContent, type MessageState } from './message-state.ts';
import { stateOrRepair } from './state-repair.ts';
import { orderKeysOf } from './order-keys.ts';
import { receivedDayOf, receivedMinuteOf } from './received-minute.ts';
import { searchKeysOf, storedFieldValues } from './search-keys.ts';
import type { RecordSealer } from './record-sealer.ts';
import { isUnsettledStatus, MessageStatus } from './states.ts';
import { statusUpdate } from './status-update.ts';
import { storeCall } from './store-call.ts';
import type { StoreContext } from './store-context.ts';
import { storeTransaction, type TransactionEntry } from './transaction-insert.ts';

/** How old a state without its message must be before it is taken for an orphan (see dropOrphanState). */
const ORPHAN_AGE_MS = 5 * 60_000;

/**
 * The store's messages role: inserts a message (or a FHIR transaction's entries), reads messages
 * by id, searches them, and saves what routing decided. A message is two documents (message-state.ts):
 * its content in `messages`, written once, and its state in `message_states`; every method reads and
 * returns them merged. Every method throws `SwitchboardError('STORE_UNAVAILABLE')` when the server
 * cannot be reached or does not confirm the write.
 */
export class MessageStore {
  /** Group commits of the two documents, made on the first insert (the collections exist once the store started). */
  private inserts: { contents: GroupCommit<MessageContent>; states: GroupCommit<MessageState> } | undefined;

  constructor(private readonly ctx: StoreContext) {}

  /**
   * Inserts a new message durably: its content and its state side by side, each by group commit
   * (documents of several connections arriving together share one insertMany, see GroupCommit).
   * Resolves only once the server confirmed both writes (w: majority, j: true). On a duplicate
   * `dedupeKey`, returns the stored message instead, and whether it has the same `contentHash`
   * (true when either has none); the state this call wrote is deleted again. A failure of either
   * write throws: a state left without its message is deleted by the worker its job meets (see dropOrphanState), a message left without
   * its state is given one when the sender's resend meets it (see repairedState). `forDelivery()`
   * returns the inserted message as `getForDelivery` would read it back, without reading it (DeliveryHandoff).
   */
  async insert(
    record: MessageRecord,
  ): Promise<
    { inserted: true; forDelivery: () => DeliverableRecord } | { inserted: false; existing: MessageRecord; sameContent: boolean }
  > {
    const { sealer } = this.ctx;
    const sealed = storedForm(sealer, record);
    const { content, state } = splitRecord(sealed);
    this.inserts ??= {
      contents: new GroupCommit({ collection: this.ctx.messages() }),
      states: new GroupCommit({ collection: this.ctx.states() }),
    };
    const { contents, states } = this.inserts;
    const [stateOutcome, contentOutcome] = await Promise.allSettled([
      storeCall(() => states.insert(state), 'messages.insertState'),
      storeCall(() => contents.insert(content), 'messages.insertContent'),
    ]);
    if (contentOutcome.status === 'rejected') throw contentOutcome.reason;
    if (contentOutcome.value === 'duplicate') {
      if (stateOutcome.status === 'fulfilled') await this.dropState(sealed._id);
      return this.existing(sealed);
    }
    if (stateOutcome.status === 'rejected') throw stateOutcome.reason;
    // Without raw now, so that a message held for delivery never keeps its frame's bytes alive.
    const { raw: _raw, ...stored } = sealed;
    return { inserted: true, forDelivery: () => sealer.open(stored) };
  }

  /** The stored message a new one's `dedupeKey` met (see insert), given a state if it has none. */
  private async existing(sealed: MessageRecord): Promise<{ inserted: false; existing: MessageRecord; sameContent: boolean }> {
    const content = await storeCall(() => this.ctx.messages().findOne({ dedupeKey: sealed.dedupeKey }), 'messages.findByDedupeKey');
    if (!content) throw new SwitchboardError('STORE_UNAVAILABLE', 'duplicate key reported but no stored message found');
    const state = await storeCall(() => stateOrRepair(this.ctx.states(), content), 'messages.findState');
    // Compared as stored (keyed when SEARCH_HASH_KEY is set); a record without a hash is taken as the same.
    const sameContent = !sealed.contentHash || !content.contentHash || content.contentHash === sealed.contentHash;
    return { inserted: false, existing: this.ctx.sealer.open(mergeRecord(content, state)), sameContent };
  }

  /**
   * Deletes the state of message `id` if its message was never stored and the state is older than
   * ORPHAN_AGE_MS: what an intake leaves whose message insert failed beside its state's (never
   * acknowledged). Called by the workers when a job's message is not found, which is rare, so the
   * relay's reads stay one query; a younger state is left for a later pass (its insert may still
   * be in flight). No effect on a stored message.
   */
  async dropOrphanState(id: string): Promise<void> {
    const content = await storeCall(() => this.ctx.messages().findOne({ _id: id }, { projection: { _id: 1 } }), 'messages.findId');
    if (content) return;
    const before = new Date(Date.now() - ORPHAN_AGE_MS);
    await storeCall(() => this.ctx.states().deleteOne({ _id: id, updatedAt: { $lt: before } }), 'messages.dropOrphanState');
  }

  /** Deletes the state of a message whose content was refused (best effort: see dropOrphanState for what is left). */
  private async dropState(id: string): Promise<void> {
    await this.ctx
      .states()
      .deleteOne({ _id: id })
      .catch(() => undefined);
  }

  private stateOf(id: string): Promise<MessageState | null> {
    return storeCall(() => this.ctx.states().findOne({ _id: id }), 'messages.getState');
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
    const docs = records.map((r) => storedForm(this.ctx.sealer, r));
    const commit = (staged: MessageState) => {
      const orderKeys = orderKeysOf(staged.deliveries);
      return statusUpdate(MessageStatus.routed, {
        set: orderKeys.length > 0 ? { orderKeys } : {},
        unset: { staged: '', filteredReason: '' },
      });
    };
    return storeCall(
      () => storeTransaction({ messages: this.ctx.messages(), states: this.ctx.states() }, docs, commit),
      'messages.insertTransaction',
    );
  }

  /** What a delivery needs of a message: everything but its raw content (which may be 1 MB). */
  async getForDelivery(id: string): Promise<DeliverableRecord | null> {
    return (await this.read([id], { raw: 0 }))[0] ?? null;
  }

  async get(id: string): Promise<MessageRecord | null> {
    return (await this.read([id]))[0] ?? null;
  }

  /** Whole messages by id; ids not found are left out (see lookUp). */
  async getMany(ids: readonly string[]): Promise<MessageRecord[]> {
    return this.read(ids);
  }

  /**
   * Messages by id, content and state merged and opened, without the content fields `projection`
   * leaves out; those without either document left out.
   */
  private async read(ids: readonly string[], projection?: Record<string, 0>): Promise<MessageRecord[]> {
    const [contents, states] = await Promise.all([lookUp(this.ctx.messages(), ids, projection), lookUp(this.ctx.states(), ids)]);
    const stateOf = new Map(states.map((s) => [s._id, s]));
    return contents.flatMap((c) => {
      const state = stateOf.get(c._id);
      return state ? [this.ctx.sealer.open(mergeRecord(c, state) as MessageRecord)] : [];
    });
  }

  /**
   * Saves what routing decided for a `received` message (see planRoute); no effect on any other
   * status. The canonical events go to the message first, then its state: a delivery, which starts
   * once the state says `routed`, always finds them.
   */
  async applyPlan(id: string, plan: RoutePlan): Promise<void> {
    const set: Record<string, unknown> = {};
    if (plan.status === MessageStatus.errored)
      Object.assign(set, { error: { code: plan.error.code, detail: plan.error.message }, errorCodes: [plan.error.code] });
    else {
      const deliveries = this.ctx.sealer.deliveries(plan.deliveries);
      const canonical = this.ctx.sealer.canonical(plan.events);
      await storeCall(() => this.ctx.messages().updateOne({ _id: id }, { $set: { canonical } }), 'messages.setCanonical');
      Object.assign(set, { deliveries, destinationIds: Object.keys(plan.deliveries) });
      const orderKeys = orderKeysOf(deliveries);
      if (orderKeys.length > 0) set.orderKeys = orderKeys;
    }
    if (plan.status === MessageStatus.filtered) set.filteredReason = plan.reason;
    await storeCall(
      () => this.ctx.states().updateOne({ _id: id, status: MessageStatus.received }, statusUpdate(plan.status, { set })),
      'messages.setRouted',
    );
  }

  /**
   * Sends an `errored` or `filtered` message back to `received`, so the route worker routes it
   * again with the current transforms. Returns false when the message is in any other state. Its
   * old canonical events are removed first (only these two statuses, which nothing but this call
   * leaves, are reset).
   */
  async resetForReroute(id: string): Promise<boolean> {
    const resettable: MessageStatus[] = [MessageStatus.errored, MessageStatus.filtered];
    const state = await this.stateOf(id);
    if (!state || !resettable.includes(state.status)) return false;
    await storeCall(() => this.ctx.messages().updateOne({ _id: id }, { $unset: { canonical: '' } }), 'messages.unsetCanonical');
    const res = await storeCall(
      () =>
        this.ctx.states().updateOne(
          { _id: id, status: { $in: resettable } },
          statusUpdate(MessageStatus.received, {
            set: { deliveries: {} },
            unset: { error: '', filteredReason: '', orderKeys: '' },
          }),
        ),
      'messages.resetForReroute',
    );
    return res.modifiedCount === 1;
  }

  /** Lists `correctionId` among the corrections of message `id` (its state; the content is written once). Idempotent. */
  async addCorrection(id: string, correctionId: string): Promise<void> {
    await storeCall(() => this.ctx.states().updateOne({ _id: id }, { $addToSet: { corrections: correctionId } }), 'messages.addCorrection');
  }

  /** Messages with at least one delivery in `q.status`, without their raw content and canonical events (see deliveries-in.ts). */
  findWithDeliveriesIn(q: DeliveriesInQuery): Promise<Omit<MessageRecord, 'raw' | 'canonical'>[]> {
    return findWithDeliveriesIn(this.ctx, q);
  }

  /** A page of messages, newest first, without their raw content and canonical events (see listMessages). */
  list(query: MessageQuery): Promise<ListedMessage[]> {
    return listMessages(this.ctx, query);
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
    receivedDay: receivedDayOf(r.receivedAt),
  };
}

/**
 * A new message as it is stored, before it is cut into its two documents (splitRecord): sealed (its keys hashed when they are),
 * with its index-only fields, its `searchKeys` (with its search fields' values, which are not stored themselves) and `orderKeys`.
 * What insert and insertTransaction write; bench/ seeds stores with it.
 */
export function storedForm(sealer: RecordSealer, record: MessageRecord): MessageRecord {
  const { searchFieldValues, ...rest } = record;
  const sealed = sealer.seal(withSearchFields(rest));
  const fields = storedFieldValues(searchFieldValues, (v) => sealer.searchableValue(v));
  const orderKeys = orderKeysOf(sealed.deliveries);
  return { ...sealed, searchKeys: searchKeysOf(sealed.summary, sealed.receivedAt, fields), ...(orderKeys.length > 0 ? { orderKeys } : {}) };
}
