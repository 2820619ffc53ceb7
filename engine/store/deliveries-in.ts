import type { Filter } from 'mongodb';
import { lookUp } from './lookup.ts';
import { withContents } from './message-list.ts';
import type { MessageRecord } from './message-record.ts';
import type { MessageState } from './message-state.ts';
import { MessageStatus, ReplayableStatus } from './states.ts';
import { storeCall } from './store-call.ts';
import type { StoreContext } from './store-context.ts';

export interface DeliveriesInQuery {
  status: ReplayableStatus;
  channelId?: string;
  from?: Date;
  to?: Date;
  ids?: string[];
  limit: number;
  order: 1 | -1;
}

/**
 * Messages with at least one delivery in `q.status` (by message status: dead or partially delivered
 * for `dead`, delivered or partially delivered for `delivered`), without their raw content and
 * canonical events; `order` 1 is oldest first (replays go in arrival order), -1 newest first. Reads
 * the states (message-state.ts), then each one's message by `_id`. Used by MessageStore.findWithDeliveriesIn.
 */
export async function findWithDeliveriesIn(ctx: StoreContext, q: DeliveriesInQuery): Promise<Omit<MessageRecord, 'raw' | 'canonical'>[]> {
  const statuses: MessageStatus[] =
    q.status === ReplayableStatus.dead
      ? [MessageStatus.dead, MessageStatus.partiallyDelivered]
      : [MessageStatus.delivered, MessageStatus.partiallyDelivered];
  const states = (q.ids ? await byIds(ctx, q.ids) : await byStatus(ctx, q, statuses)).filter(
    (s) =>
      statuses.includes(s.status) &&
      (!q.channelId || s.channelId === q.channelId) &&
      (!q.from || s.receivedAt >= q.from) &&
      (!q.to || s.receivedAt <= q.to),
  );
  return withContents(ctx, states.sort(byId(q.order)).slice(0, q.limit));
}

/** By id: one lookup per id (see lookUp); the rest of the filter is applied by the caller. */
function byIds(ctx: StoreContext, ids: readonly string[]): Promise<MessageState[]> {
  return lookUp(ctx.states(), ids);
}

/**
 * One query per status, merged: FerretDB 1.24 passes `status: <value>` down to PostgreSQL, so it
 * reads the dead-lettered (or delivered) messages only; `status: { $in }` it does not, and read
 * and decoded the whole collection (50,000 messages, 14,286 of them dead or partially delivered:
 * 8.5 s against 2.6 s; the fewer dead, the larger the gain).
 */
async function byStatus(ctx: StoreContext, q: DeliveriesInQuery, statuses: MessageStatus[]): Promise<MessageState[]> {
  const filter: Filter<MessageState> = {};
  if (q.channelId) filter.channelId = q.channelId;
  if (q.from || q.to) filter.receivedAt = { ...(q.from ? { $gte: q.from } : {}), ...(q.to ? { $lte: q.to } : {}) };
  const perStatus = await Promise.all(
    statuses.map((status) =>
      storeCall(
        () =>
          ctx
            .states()
            .find({ ...filter, status }, { sort: { _id: q.order }, limit: q.limit })
            .toArray(),
        'deliveries.findInStatus',
      ),
    ),
  );
  return perStatus.flat();
}

/** Orders documents by `_id`: `order` 1 ascending, -1 descending. */
function byId(order: 1 | -1): (a: { _id: string }, b: { _id: string }) => number {
  return (a, b) => (a._id < b._id ? -order : a._id > b._id ? order : 0);
}
