import type { DeliveryQueueEntry } from '../queue/delivery-queues.ts';
import { DeliveryStatus, MessageStatus, type FailedDeliveryStatus } from '../store/states.ts';
import { intakeMetrics } from './intake-metrics.ts';
import type { FlowCounters } from '../flows/flow-counters.ts';
import { certificateMetrics } from './certificate-metrics.ts';
import { engineMetrics } from './engine-metrics.ts';
import type { ProcessMetrics } from './process-metrics.ts';
import { PrometheusText, type Sample } from './prometheus-text.ts';
import { QUEUE_STATES, queueDepths } from './queue-metrics.ts';
import type { StoreMetrics } from './store-metrics.ts';

/** The window of `switchboard_messages_last_5m`, in milliseconds. */
export const RECENT_WINDOW_MS = 5 * 60_000;

export interface ExpositionSources {
  store: StoreMetrics;
  /** Delivery queues by channel and destination, read at each scrape (channels may be deployed meanwhile). */
  queues: readonly DeliveryQueueEntry[];
  process: ProcessMetrics;
  /** The channels to report, each with a sample for every status (zeros included, so silence can be alerted on). */
  channelIds: readonly string[];
  /** The flows' counters of this process. */
  flows: FlowCounters;
}

/**
 * The Prometheus exposition of /metrics. Every label value is a channel id, destination id, status,
 * queue state or error code: configuration and catalog names, never message content or patient
 * data. The store's and Redis' figures cover the whole deployment (they are read from the system of
 * record and the queues, not counted in this process); when one cannot be read, its families are
 * left out and `switchboard_metrics_source_up{source}` is 0, and the rest is still served.
 */
export async function renderPrometheus(s: ExpositionSources, now = new Date()): Promise<string> {
  const [received, failing, depths] = await Promise.allSettled([
    s.store.received(s.channelIds, new Date(now.getTime() - RECENT_WINDOW_MS), now),
    s.store.failing(s.queues),
    queueDepths(s.queues, now.getTime()),
  ]);
  const out = new PrometheusText();
  if (received.status === 'fulfilled') {
    const count = new Map(received.value.map((r) => [`${r.channelId}|${r.status}`, r.count]));
    const samples = s.channelIds.flatMap((channel) =>
      Object.values(MessageStatus).map((status) => ({ labels: { channel, status }, value: count.get(`${channel}|${status}`) ?? 0 })),
    );
    out.gauge(
      'switchboard_messages_last_5m',
      'Messages received in the last 5 minutes, by channel and current status (read from the message store).',
      samples,
    );
  }
  if (failing.status === 'fulfilled') {
    const of = (status: FailedDeliveryStatus): Sample[] =>
      failing.value
        .filter((f) => f.status === status)
        .map((f) => ({ labels: { channel: f.channelId, destination: f.destinationId, code: f.errorCode }, value: f.count }));
    out.gauge(
      'switchboard_deliveries_dead',
      'Dead-lettered deliveries awaiting replay, by destination and the error code of their last attempt.',
      of(DeliveryStatus.dead),
    );
    out.gauge(
      'switchboard_deliveries_retrying',
      'Deliveries waiting for their next attempt after a failure, by destination and error code.',
      of(DeliveryStatus.retrying),
    );
  }
  if (depths.status === 'fulfilled') {
    out.gauge(
      'switchboard_queue_jobs',
      'Jobs in each destination delivery queue, by state.',
      depths.value.flatMap((d) =>
        QUEUE_STATES.map((state) => ({ labels: { channel: d.channelId, destination: d.destinationId, state }, value: d.jobs[state] })),
      ),
    );
    out.gauge(
      'switchboard_queue_oldest_waiting_seconds',
      'Age of the oldest job waiting to run in each destination queue, in seconds (0 when none waits).',
      depths.value.map((d) => ({ labels: { channel: d.channelId, destination: d.destinationId }, value: d.oldestWaitingSeconds ?? 0 })),
    );
  }
  const up = (r: PromiseSettledResult<unknown>) => (r.status === 'fulfilled' ? 1 : 0);
  out.gauge('switchboard_metrics_source_up', 'Whether this scrape could read the source: the message store, or the Redis queues.', [
    { labels: { source: 'store' }, value: up(received) * up(failing) },
    { labels: { source: 'queues' }, value: up(depths) },
  ]);
  intakeMetrics.write(out, s.channelIds);
  engineMetrics.write(out);
  certificateMetrics.write(out, now.getTime());
  s.flows.write(out);
  s.process.write(out);
  return out.toString();
}

/**
 * The exposition of a process that serves no admin API (a worker's METRICS_PORT listener): only what
 * this process counted (engineMetrics) and its process metrics. The deployment-wide gauges read from
 * the store and Redis are served by the admin servers' /metrics alone, so that no sum counts them twice.
 */
export function renderProcessPrometheus(process: ProcessMetrics, flows: FlowCounters): string {
  const out = new PrometheusText();
  engineMetrics.write(out);
  flows.write(out);
  process.write(out);
  return out.toString();
}
