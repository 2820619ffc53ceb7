import type { FastifyPluginAsync } from 'fastify';
import type { Static } from '@sinclair/typebox';
import type { ChannelDefinition } from '../channel.ts';
import { buildSummary, MetricsSummary, SummaryQuery } from '../metrics/dashboard-summary.ts';
import { renderPrometheus } from '../metrics/exposition.ts';
import { ProcessMetrics } from '../metrics/process-metrics.ts';
import { PROMETHEUS_CONTENT_TYPE } from '../metrics/prometheus-text.ts';
import { StoreMetrics } from '../metrics/store-metrics.ts';
import type { FlowCounters } from '../flows/flow-counters.ts';
import type { DeliveryQueues } from '../queue/delivery-queues.ts';
import { inScope } from '../security/roles.ts';
import type { Store } from '../store/store.ts';
import { principalOf } from './access.ts';

export interface MetricsRoutesOptions {
  store: Store;
  /** The engine's delivery queues, read at each request. */
  deliveryQueues: DeliveryQueues;
  /** The channels running in this process (they change with deploys). */
  channels: () => readonly ChannelDefinition[];
  /** The flows' counters of this process. */
  flows: FlowCounters;
}

/**
 * Operational figures, never patient data:
 * - `GET /metrics` (`metrics:read`: the `monitor` role, meant for a Prometheus scraper's API token,
 *   and admin): the text exposition format 0.0.4 (engine/metrics/exposition.ts);
 * - `GET /api/metrics/summary` (`messages:read`): the console dashboard's JSON, limited to the
 *   caller's channels and their destinations.
 * The event-loop sampler runs from registration until the server closes.
 */
export const metricsRoutes: FastifyPluginAsync<MetricsRoutesOptions> = async (app, o) => {
  const store = new StoreMetrics(o.store);
  const processMetrics = new ProcessMetrics();
  processMetrics.start();
  app.addHook('onClose', async () => processMetrics.stop());

  app.get(
    '/metrics',
    {
      config: { access: 'metrics:read' },
      schema: {
        summary: 'Prometheus metrics',
        description:
          'Text exposition format 0.0.4: messages of the last 5 minutes by channel and status, ' +
          'dead and retrying deliveries by destination and error code, ' +
          'delivery queue depth by state and the age of the oldest waiting job, and process metrics (memory, CPU, event-loop delay). ' +
          'Meant for a scraper holding the API token of a `monitor` user (Authorization: Bearer).',
      },
    },
    async (_request, reply) => {
      const text = await renderPrometheus({
        store,
        queues: o.deliveryQueues.entries(),
        process: processMetrics,
        channelIds: o.channels().map((c) => c.id),
        flows: o.flows,
      });
      return reply.type(PROMETHEUS_CONTENT_TYPE).header('cache-control', 'no-store').send(text);
    },
  );

  app.get<{ Querystring: Static<typeof SummaryQuery> }>(
    '/api/metrics/summary',
    {
      config: { access: 'messages:read' },
      schema: {
        summary: 'Dashboard figures',
        description:
          'Messages per minute and errors per channel over the last `minutes`, and per destination the queue depth, the age of the ' +
          'oldest waiting job and the failing deliveries; only the caller’s channels.',
        querystring: SummaryQuery,
        response: { 200: MetricsSummary },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const channels = o.channels().filter((c) => inScope(p, c.id));
      return buildSummary({ store, queues: o.deliveryQueues, channels }, request.query.minutes);
    },
  );
};
