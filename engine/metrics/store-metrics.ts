import type { Collection } from 'mongodb';
import type { DeliveryTarget } from '../queue/delivery-queues.ts';
import type { MessageState } from '../store/message-state.ts';
import { STATES_COLLECTION, type Store } from '../store/store.ts';
import { storeCall } from '../store/store-call.ts';
import { DeliveryStatus, MessageStatus, type FailedDeliveryStatus } from '../store/states.ts';
import { minutesOf } from '../store/received-minute.ts';

export interface ReceivedCount {
  channelId: string;
  status: MessageStatus;
  count: number;
}

export interface FailingCount {
  channelId: string;
  destinationId: string;
  /** `dead`: out of attempts or refused for good; `retrying`: waiting for its next attempt. */
  status: FailedDeliveryStatus;
  /** The error code of the last attempt (engine/errors.ts), or UNKNOWN when none was recorded. */
  errorCode: string;
  count: number;
}

/**
 * Counts read from the system of record for the metrics endpoints, so every ingest process reports
 * the same figures for the whole deployment, workers included. Read-only aggregations of the
 * messages' state documents (`message_states`, see message-state.ts), each a `$match` on indexed
 * fields and one `$group` (FerretDB runs them):
 * - received messages: one minute at a time (`receivedMinute`), then `channelId` (an `$in` of the
 *   given channels) and the `receivedAt` range; on MongoDB the `channel_time` index, on FerretDB a
 *   GIN index in PostgreSQL: the cost grows with the messages in the window, not the collection;
 * - failing deliveries: one message `status` at a time (routed, dead, partially-delivered), on
 *   `status_updated`: the cost grows with the messages in flight or dead-lettered.
 * Every failure is STORE_UNAVAILABLE (storeCall).
 */
export class StoreMetrics {
  private readonly states: Collection<MessageState>;

  constructor(store: Store) {
    this.states = store.collection<MessageState>(STATES_COLLECTION);
  }

  /**
   * Messages of `channelIds` received in [from, to), by channel and current status. One aggregation
   * per minute of the window, by `receivedMinute` (see received-minute.ts), summed here. Messages
   * stored by a version that did not write `receivedMinute` are not counted.
   */
  async received(channelIds: readonly string[], from: Date, to: Date): Promise<ReceivedCount[]> {
    if (channelIds.length === 0) return [];
    const perMinute = await Promise.all(
      minutesOf(from, to).map((receivedMinute) =>
        storeCall(
          () =>
            this.states
              .aggregate<{ _id: { channelId: string; status: MessageStatus }; count: number }>([
                { $match: { receivedMinute, channelId: { $in: [...channelIds] }, receivedAt: { $gte: from, $lt: to } } },
                { $group: { _id: { channelId: '$channelId', status: '$status' }, count: { $sum: 1 } } },
              ])
              .toArray(),
          'metrics.received',
        ),
      ),
    );
    const rows = perMinute.flat().map((r) => ({ channelId: r._id.channelId, status: r._id.status, count: r.count }));
    return sumCounts(rows, ['channelId', 'status']);
  }

  /**
   * Dead and retrying deliveries of each channel destination, by the error code of their last attempt. One
   * aggregation per destination and message status (routed, dead, partially delivered), summed
   * here: FerretDB 1.24 passes a `$match` on one status down to PostgreSQL, not a `$in` of them,
   * which read the whole collection on every scrape.
   */
  async failing(targets: readonly DeliveryTarget[]): Promise<FailingCount[]> {
    const statuses = [MessageStatus.routed, MessageStatus.dead, MessageStatus.partiallyDelivered];
    const perQuery = await Promise.all(
      targets.flatMap(({ channelId, destinationId }) =>
        statuses.map(async (status) => {
          const path = `deliveries.${destinationId}`;
          const rows = await storeCall(
            () =>
              this.states
                .aggregate<{ _id: { status: FailedDeliveryStatus; code?: string | null }; count: number }>([
                  { $match: { status, channelId, [`${path}.status`]: { $in: [DeliveryStatus.dead, DeliveryStatus.retrying] } } },
                  { $group: { _id: { status: `$${path}.status`, code: `$${path}.lastError.code` }, count: { $sum: 1 } } },
                ])
                .toArray(),
            'metrics.failing',
          );
          return rows.map((r) => ({ channelId, destinationId, status: r._id.status, errorCode: r._id.code ?? 'UNKNOWN', count: r.count }));
        }),
      ),
    );
    return sumCounts(perQuery.flat(), ['channelId', 'destinationId', 'status', 'errorCode']);
  }
}

/** Rows of several queries summed per `keys` (one row per distinct key), sorted by them. */
function sumCounts<T extends { count: number }>(rows: readonly T[], keys: (keyof T)[]): T[] {
  const sums = new Map<string, T>();
  for (const row of rows) {
    const key = keys.map((k) => String(row[k])).join('\0');
    const seen = sums.get(key);
    if (seen) seen.count += row.count;
    else sums.set(key, { ...row });
  }
  return [...sums.values()].sort(byKeys(...keys));
}

/** A comparator on string fields, in order: stable output for scrapes and tests. */
function byKeys<T>(...keys: (keyof T)[]) {
  return (a: T, b: T): number => {
    for (const k of keys) {
      const c = String(a[k]).localeCompare(String(b[k]));
      if (c !== 0) return c;
    }
    return 0;
  };
}
