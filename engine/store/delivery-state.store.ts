import type { Filter } from 'mongodb';
import type { DeliveryAttempt, DeliveryRecord, MessageRecord } from './message-record.ts';
import type { MessageState } from './message-state.ts';
import { KeyedLock } from './keyed-lock.ts';
import { orderKeyEntry } from './order-keys.ts';
import { DeliveryStatus, isTerminalDelivery, MessageStatus, settledMessageStatus } from './states.ts';
import { statusUpdate } from './status-update.ts';
import { storeCall } from './store-call.ts';
import type { StoreContext } from './store-context.ts';

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
 * The store's delivery-state role: records delivery attempts and states, settles a message's
 * status once no delivery is open, and finds what holds an ordered delivery back. It writes and
 * reads the small state documents only (`message_states`, see message-state.ts), never the message. Every method
 * throws `SwitchboardError('STORE_UNAVAILABLE')` when the server cannot be reached or does not
 * confirm the write.
 */
export class DeliveryStateStore {
  /** Delivery updates of one message, one at a time in this process (FerretDB's updates are read-modify-write; see KeyedLock). */
  private readonly deliveryUpdates = new KeyedLock();

  constructor(private readonly ctx: StoreContext) {}

  /**
   * For an ordered destination: the id of the earliest message before `id` with the same order key
   * whose delivery is still open (pending or retrying; dead too when the policy blocks), if any.
   * Reads by `orderKeys` (see order-keys.ts): the messages of this key of this destination only.
   */
  async findOrderBlocker(o: { id: string; destinationId: string; orderKey: string; deadBlocks: boolean }): Promise<string | undefined> {
    const waiting: DeliveryStatus[] = [DeliveryStatus.pending, DeliveryStatus.retrying];
    const open = o.deadBlocks ? [...waiting, DeliveryStatus.dead] : waiting;
    const blocker = await storeCall(
      () =>
        this.ctx.states().findOne(
          {
            orderKeys: orderKeyEntry(o.destinationId, o.orderKey),
            _id: { $lt: o.id },
            [`deliveries.${o.destinationId}.status`]: { $in: open },
          } as Filter<MessageState>,
          { projection: { _id: 1 }, sort: { _id: 1 } },
        ),
      'deliveries.findOrderBlocker',
    );
    return blocker?._id;
  }

  /**
   * Records a delivery attempt and the destination's new state, and settles the message status
   * (delivered, partially-delivered, dead) once no destination is open: in the same write when
   * `update.seen` shows the others closed and still holds, else by a separate settle. The updates
   * of one message run one at a time within this process (KeyedLock).
   */
  update(id: string, destinationId: string, update: DeliveryUpdate): Promise<void> {
    return this.deliveryUpdates.run(id, () => this.writeDelivery(id, destinationId, update));
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

  private async writeDelivery(id: string, destinationId: string, update: DeliveryUpdate): Promise<void> {
    const states = this.ctx.states();
    const { set, push } = this.deliveryWrite(destinationId, update);
    const plain = { $set: { ...set, updatedAt: new Date() }, ...push } as never;
    // Still open: nothing to settle, and nothing to read back.
    if (!isTerminalDelivery(update.status)) {
      await storeCall(() => states.updateOne({ _id: id }, plain), 'deliveries.update');
      return;
    }
    const others = update.seen && Object.values(update.seen.deliveries).filter((d) => d.destinationId !== destinationId);
    if (update.seen?.status === MessageStatus.routed && others?.every((d) => isTerminalDelivery(d.status))) {
      const settled = settledMessageStatus([...others.map((d) => d.status), update.status]);
      const unchanged = {
        _id: id,
        status: MessageStatus.routed,
        ...Object.fromEntries(others.map((d) => [`deliveries.${d.destinationId}.status`, d.status])),
      };
      const res = await storeCall(
        () => states.updateOne(unchanged as Filter<MessageState>, { ...statusUpdate(settled, { set }), ...push } as never),
        'deliveries.updateAndSettle',
      );
      if (res.matchedCount === 1) return;
    }
    // The whole state back (a few hundred bytes): FerretDB 1.24 implements no projection for findAndModify.
    const after = await storeCall(
      () => states.findOneAndUpdate({ _id: id }, plain, { returnDocument: 'after' }),
      'deliveries.updateReturning',
    );
    if (after) await this.settleNow(after);
  }

  /** The fields a delivery update sets, and what it pushes, adds or pulls, for writeDelivery. */
  private deliveryWrite(destinationId: string, update: DeliveryUpdate): { set: Record<string, unknown>; push: Record<string, unknown> } {
    const prefix = `deliveries.${destinationId}`;
    const set: Record<string, unknown> = { [`${prefix}.status`]: update.status };
    if (update.sentEvents !== undefined) set[`${prefix}.sentEvents`] = update.sentEvents;
    if (update.lastError) set[`${prefix}.lastError`] = this.ctx.sealer.peerAnswer(update.lastError);
    if (update.nextAttemptAt) set[`${prefix}.nextAttemptAt`] = update.nextAttemptAt;
    if (update.status === DeliveryStatus.delivered) set[`${prefix}.deliveredAt`] = new Date();
    if (update.peerDocumentIds) set[`${prefix}.peerDocumentIds`] = update.peerDocumentIds;
    // Delivered: its order key can hold no later message any more (see order-keys.ts).
    const orderKey = update.status === DeliveryStatus.delivered ? update.seen?.deliveries[destinationId]?.orderKey : undefined;
    const push = {
      ...(update.attempt ? { $push: { [`${prefix}.attempts`]: this.ctx.sealer.peerAnswer(update.attempt) } } : {}),
      ...(update.lastError ? { $addToSet: { errorCodes: update.lastError.code } } : {}),
      ...(orderKey ? { $pull: { orderKeys: orderKeyEntry(destinationId, orderKey) } } : {}),
    };
    return { set, push };
  }

  private async settleNow(message: Pick<MessageRecord, '_id' | 'status' | 'deliveries'>): Promise<void> {
    const settled = settledMessageStatus(Object.values(message.deliveries).map((d) => d.status));
    if (settled !== message.status && message.status === MessageStatus.routed) {
      await storeCall(
        () => this.ctx.states().updateOne({ _id: message._id, status: MessageStatus.routed }, statusUpdate(settled)),
        'deliveries.settle',
      );
    }
  }
}
