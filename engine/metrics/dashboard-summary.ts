import { Type, type Static } from '@sinclair/typebox';
import type { DeliveryQueues } from '../queue/delivery-queues.ts';
import { DeliveryStatus, MessageStatus, type FailedDeliveryStatus } from '../store/states.ts';
import { QUEUE_STATES, queueDepths } from './queue-metrics.ts';
import type { StoreMetrics } from './store-metrics.ts';

/** Statuses counted as errors on the dashboard: refused or failed at intake, or not (fully) delivered. */
export const ERROR_STATUSES: readonly MessageStatus[] = [
  MessageStatus.errored,
  MessageStatus.rejected,
  MessageStatus.dead,
  MessageStatus.partiallyDelivered,
];

export const SummaryQuery = Type.Object({
  minutes: Type.Integer({ minimum: 1, maximum: 60, default: 15, description: 'how many minutes back, the current one included' }),
});

const Count = Type.Integer({ minimum: 0 });

/** The answer of `GET /api/metrics/summary` (also its response schema in the OpenAPI document). */
export const MetricsSummary = Type.Object({
  generatedAt: Type.String({ format: 'date-time' }),
  minutes: Type.Integer(),
  channels: Type.Array(
    Type.Object({
      channelId: Type.String(),
      /** One entry per minute, oldest first; the last is the current, partial minute. */
      perMinute: Type.Array(
        Type.Object({ at: Type.String({ format: 'date-time', description: 'start of the minute' }), received: Count, errors: Count }),
      ),
      /** Messages received in the whole window, by current status (statuses with none left out). */
      byStatus: Type.Record(Type.String(), Count),
    }),
  ),
  destinations: Type.Array(
    Type.Object({
      destinationId: Type.String(),
      channelId: Type.String(),
      jobs: Type.Object(Object.fromEntries(QUEUE_STATES.map((s) => [s, Count])) as Record<(typeof QUEUE_STATES)[number], typeof Count>),
      oldestWaitingSeconds: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
      dead: Count,
      retrying: Count,
      /** Dead and retrying deliveries by the error code of their last attempt. */
      errors: Type.Array(
        Type.Object({
          status: Type.Union([Type.Literal(DeliveryStatus.dead), Type.Literal(DeliveryStatus.retrying)]),
          errorCode: Type.String(),
          count: Count,
        }),
      ),
    }),
  ),
});
export type MetricsSummary = Static<typeof MetricsSummary>;

export interface SummarySources {
  store: StoreMetrics;
  queues: DeliveryQueues;
  /** The channels the caller may see. */
  channels: readonly { id: string }[];
}

/**
 * The dashboard's figures for the caller's channels: messages received per minute and per status
 * over the last `minutes` (one store aggregation per minute, each on the channel/time index), and
 * per destination the queue depth, the age of the oldest waiting job and the failing deliveries.
 * Minutes are whole clock minutes, so successive polls line up. Throws STORE_UNAVAILABLE or
 * QUEUE_UNAVAILABLE when a source cannot be read.
 */
export async function buildSummary(s: SummarySources, minutes: number, now = new Date()): Promise<MetricsSummary> {
  const channelIds = s.channels.map((c) => c.id);
  const current = Math.floor(now.getTime() / 60_000) * 60_000;
  const starts = Array.from({ length: minutes }, (_, i) => current - (minutes - 1 - i) * 60_000);
  const queues = s.queues.of(channelIds);
  const [perMinute, failing, depths] = await Promise.all([
    Promise.all(starts.map((start) => s.store.received(channelIds, new Date(start), new Date(start + 60_000)))),
    s.store.failing(queues),
    queueDepths(queues, now.getTime()),
  ]);

  const channels = channelIds.map((channelId) => {
    const byStatus: Record<string, number> = {};
    const minutesOf = starts.map((start, i) => {
      let received = 0;
      let errors = 0;
      for (const r of perMinute[i]!.filter((x) => x.channelId === channelId)) {
        received += r.count;
        if (ERROR_STATUSES.includes(r.status)) errors += r.count;
        byStatus[r.status] = (byStatus[r.status] ?? 0) + r.count;
      }
      return { at: new Date(start).toISOString(), received, errors };
    });
    return { channelId, perMinute: minutesOf, byStatus };
  });

  const destinations = depths.map((d) => {
    const errors = failing
      .filter((f) => f.channelId === d.channelId && f.destinationId === d.destinationId)
      .map(({ status, errorCode, count }) => ({ status, errorCode, count }));
    const total = (status: FailedDeliveryStatus) => errors.filter((e) => e.status === status).reduce((n, e) => n + e.count, 0);
    return {
      destinationId: d.destinationId,
      channelId: d.channelId,
      jobs: d.jobs,
      oldestWaitingSeconds: d.oldestWaitingSeconds,
      dead: total(DeliveryStatus.dead),
      retrying: total(DeliveryStatus.retrying),
      errors,
    };
  });
  return { generatedAt: now.toISOString(), minutes, channels, destinations };
}
