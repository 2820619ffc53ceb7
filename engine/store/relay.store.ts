import type { MessageRecord } from './message-record.ts';
import { isUnsettledStatus, MessageStatus } from './states.ts';
import { storeCall } from './store-call.ts';
import type { StoreContext } from './store-context.ts';

/** What the relay reads of a message. */
export type UnsettledMessage = Pick<MessageRecord, '_id' | 'channelId' | 'status' | 'deliveries'>;

const UNSETTLED_PROJECTION = { _id: 1, channelId: 1, status: 1, deliveries: 1 } as const;

/** The `meta` document that keeps when the relay's last sweep ended. */
const SWEEP_MARKER = 'relay-sweep';

/**
 * The store's relay role: the queries of the relay, which checks the messages in flight against
 * Redis, and its repair of their `unsettled` flag, on the messages' state documents (message-state.ts). Every method throws
 * `SwitchboardError('STORE_UNAVAILABLE')` when the server cannot be reached or does not confirm the write.
 */
export class RelayStore {
  constructor(private readonly ctx: StoreContext) {}

  /**
   * Messages not yet settled and untouched since `olderThan`: what the relay checks against Redis.
   * Reads by the `unsettled` flag (an index of the messages in flight only, on MongoDB and FerretDB).
   */
  async findUnsettled(olderThan: Date, limit: number): Promise<UnsettledMessage[]> {
    return storeCall(
      () =>
        this.ctx
          .states()
          .find({ unsettled: true, updatedAt: { $lt: olderThan } }, { projection: UNSETTLED_PROJECTION, limit })
          .toArray(),
      'relay.findUnsettled',
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
        storeCall(
          () =>
            this.ctx
              .states()
              .find({ status, unsettled: { $ne: true } }, { projection: UNSETTLED_PROJECTION, limit })
              .toArray(),
          'relay.findUnflagged',
        ),
      ),
    );
    return found.flat();
  }

  /** When a sweep (findUnflagged until none was left) last ended, by any process; undefined before the first. */
  async lastSweep(): Promise<Date | undefined> {
    const doc = await storeCall(() => this.ctx.meta().findOne({ _id: SWEEP_MARKER }), 'relay.readSweep');
    return doc?.at;
  }

  async markSwept(at: Date): Promise<void> {
    await storeCall(() => this.ctx.meta().updateOne({ _id: SWEEP_MARKER }, { $set: { at } }, { upsert: true }), 'relay.writeSweep');
  }

  /**
   * Sets the `unsettled` flag to what the message's status says, if its status is still `status`
   * (the relay's repair of a message found by findUnflagged, or flagged but settled).
   */
  async syncUnsettled(id: string, status: MessageStatus): Promise<void> {
    const update = isUnsettledStatus(status) ? { $set: { unsettled: true as const } } : { $unset: { unsettled: '' as const } };
    await storeCall(() => this.ctx.states().updateOne({ _id: id, status }, update), 'relay.repair');
  }
}
