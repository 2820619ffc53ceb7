import type { Filter, UpdateFilter } from 'mongodb';
import { lookUpMap } from './lookup.ts';
import { transformVersions, type CanonicalEvent, type MessageRecord, type ReplayRecord } from './message-record.ts';
import type { MessageState } from './message-state.ts';
import { orderKeysOf } from './order-keys.ts';
import { DeliveryStatus, MessageStatus, ReplayState, type ReplayableStatus } from './states.ts';
import { statusUpdate } from './status-update.ts';
import { storeCall } from './store-call.ts';
import type { StoreContext } from './store-context.ts';

/**
 * The store's replays role: the `replays` collection (a replay's record, progress and heartbeat)
 * and what a replay writes to and reads back from the messages. Every method throws
 * `SwitchboardError('STORE_UNAVAILABLE')` when the server cannot be reached or does not confirm the write.
 */
export class ReplayStore {
  constructor(private readonly ctx: StoreContext) {}

  /**
   * Saves the re-made canonical events and sets the chosen deliveries of `message` (as read
   * just before), if they are still in `from`, back to pending. A dead delivery keeps its
   * idempotency key (a peer that did take an ambiguous attempt de-duplicates it); a delivered one is
   * given `keys[destinationId]`, so the peer takes it as new. Returns the ids reset: none when the
   * message changed meanwhile (the update of its state is conditional on every chosen delivery's
   * status). The events go to the message first, so a delivery set back to pending sends them.
   */
  async resetDeliveries(
    message: Pick<MessageRecord, '_id' | 'deliveries'>,
    o: { from: ReplayableStatus; destinationIds: string[]; events: CanonicalEvent[]; replayId: string; keys?: Record<string, string> },
  ): Promise<string[]> {
    const reset = o.destinationIds.filter((d) => message.deliveries[d]?.status === o.from);
    if (reset.length === 0) return [];
    const canonical = this.ctx.sealer.canonical(o.events);
    await storeCall(() => this.ctx.messages().updateOne({ _id: message._id }, { $set: { canonical } }), 'replays.setCanonical');
    const set: Record<string, unknown> = {};
    // The order keys of the deliveries open once these are reset (see order-keys.ts).
    const orderKeys = orderKeysOf(message.deliveries, reset);
    if (orderKeys.length > 0) set.orderKeys = orderKeys;
    const filter: Record<string, unknown> = { _id: message._id };
    for (const d of reset) {
      set[`deliveries.${d}.status`] = DeliveryStatus.pending;
      set[`deliveries.${d}.sentEvents`] = 0;
      set[`deliveries.${d}.replayId`] = o.replayId;
      const key = o.keys?.[d];
      if (key) set[`deliveries.${d}.idempotencyKey`] = key;
      filter[`deliveries.${d}.status`] = o.from;
    }
    const update = { ...statusUpdate(MessageStatus.routed, { set }), $addToSet: { replayIds: o.replayId } } as UpdateFilter<MessageState>;
    const res = await storeCall(() => this.ctx.states().updateOne(filter as Filter<MessageState>, update), 'replays.resetDeliveries');
    return res.modifiedCount === 1 ? reset : [];
  }

  /**
   * What a replay set back to pending, read from the messages themselves (so it holds whatever
   * process did it and wherever one died): each delivery that carries the replay's id, with its
   * key and the transform versions of the message's current events. Reads by `replayIds` (see
   * replay-ids.ts): the messages of this replay only.
   */
  async findReplayed(replayId: string): Promise<ReplayRecord['deliveries']> {
    const states = await storeCall(
      () =>
        this.ctx
          .states()
          .find({ replayIds: replayId }, { projection: { _id: 1, deliveries: 1 }, sort: { _id: 1 } })
          .toArray(),
      'replays.findReplayed',
    );
    const contents = await lookUpMap(
      this.ctx.messages(),
      states.map((s) => s._id),
      { _id: 1, canonical: 1, kid: 1 },
    );
    return states.flatMap((state) => {
      const content = contents.get(state._id);
      const versions = transformVersions((content && this.ctx.sealer.open(content).canonical?.events) ?? []);
      return Object.values(state.deliveries)
        .filter((d) => d.replayId === replayId)
        .map((d) => ({
          messageId: state._id,
          destinationId: d.destinationId,
          idempotencyKey: d.idempotencyKey,
          transformVersions: versions,
        }));
    });
  }

  async insert(record: ReplayRecord): Promise<void> {
    await storeCall(() => this.ctx.replays().insertOne(record), 'replays.insert');
  }

  /** Progress of a running replay (heartbeat renewed); with `done`, what it replayed and its end. */
  async update(
    id: string,
    u: Pick<ReplayRecord, 'progress' | 'refused'> & { done?: { deliveries: ReplayRecord['deliveries'] } },
  ): Promise<void> {
    const set: Record<string, unknown> = { progress: u.progress, refused: u.refused, heartbeatAt: new Date() };
    if (u.done) Object.assign(set, { state: ReplayState.done, finishedAt: new Date(), deliveries: u.done.deliveries });
    await storeCall(() => this.ctx.replays().updateOne({ _id: id }, { $set: set }), 'replays.update');
  }

  async get(id: string): Promise<ReplayRecord | null> {
    return storeCall(() => this.ctx.replays().findOne({ _id: id }), 'replays.get');
  }

  /** The last replays, newest first, without their lists of deliveries (see get). */
  async list(limit: number): Promise<Omit<ReplayRecord, 'deliveries'>[]> {
    return storeCall(
      () =>
        this.ctx
          .replays()
          .find({}, { projection: { deliveries: 0 }, sort: { at: -1 }, limit })
          .toArray(),
      'replays.list',
    );
  }

  /** Renews a running replay's heartbeat (while a step takes long). */
  async touch(id: string): Promise<void> {
    await storeCall(
      () => this.ctx.replays().updateOne({ _id: id, state: ReplayState.running }, { $set: { heartbeatAt: new Date() } }),
      'replays.touch',
    );
  }

  /**
   * Takes over one running replay whose heartbeat is older than `staleBefore` (its process died),
   * other than those in `except` (this process's own): renews the heartbeat only if nobody else did
   * meanwhile. Returns it without its list of deliveries, or null when there is none.
   */
  async claimStale(staleBefore: Date, except: readonly string[]): Promise<ReplayRecord | null> {
    const replays = this.ctx.replays();
    const stale = await storeCall(
      () =>
        replays.findOne(
          { state: ReplayState.running, heartbeatAt: { $lt: staleBefore }, ...(except.length ? { _id: { $nin: [...except] } } : {}) },
          { projection: { deliveries: 0 } },
        ),
      'replays.findStale',
    );
    if (!stale) return null;
    const res = await storeCall(
      () => replays.updateOne({ _id: stale._id, heartbeatAt: stale.heartbeatAt }, { $set: { heartbeatAt: new Date() } }),
      'replays.claimStale',
    );
    return res.modifiedCount === 1 ? { ...stale, deliveries: [] } : null;
  }
}
