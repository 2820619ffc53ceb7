import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AuthService } from '../security/auth-service.ts';
import { hasPermission, Permission } from '../security/roles.ts';
import { renderProcessPrometheus } from './exposition.ts';
import { ProcessMetrics } from './process-metrics.ts';
import type { FlowCounters } from '../flows/flow-counters.ts';
import { PROMETHEUS_CONTENT_TYPE } from './prometheus-text.ts';

/** A metrics-only listener, started; `close()` stops it and its event-loop sampler. */
export interface MetricsListener {
  port: number;
  close(): Promise<void>;
}

/** Whether the `Authorization` header of a request may read the metrics. */
export type MetricsAuthorizer = (authorization: string | undefined) => Promise<'ok' | 'unauthenticated' | 'forbidden'>;

/** Allows the API tokens whose user may read /metrics (`metrics:read`: the `monitor` role, and admin), as the admin API does. */
export function apiTokenAuthorizer(auth: Pick<AuthService, 'fromApiToken'>): MetricsAuthorizer {
  return async (authorization) => {
    const token = /^Bearer (\S+)$/i.exec(authorization ?? '')?.[1];
    const principal = token ? await auth.fromApiToken(token) : undefined;
    if (!principal) return 'unauthenticated';
    return hasPermission(principal, Permission.metricsRead) ? 'ok' : 'forbidden';
  };
}

/**
 * Serves `GET /metrics` of a worker process (which has no admin API) on `host:port`: the counters
 * and histograms this process keeps and its process metrics (renderProcessPrometheus), so that
 * Prometheus scrapes every worker as it scrapes every admin server, with the same API token
 * (`authorize`: 401 without a valid one, 403 without `metrics:read`, 503 when it cannot be checked).
 * Any other path is 404, any other method 405.
 */
export async function startMetricsListener(o: {
  host: string;
  port: number;
  authorize: MetricsAuthorizer;
  flows: FlowCounters;
}): Promise<MetricsListener> {
  const processMetrics = new ProcessMetrics();
  const render = () => renderProcessPrometheus(processMetrics, o.flows);
  const server = http.createServer((request, response) => void answer(request, response, o.authorize, render));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => (server.off('error', reject), resolve()));
  });
  processMetrics.start();
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      processMetrics.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function answer(
  request: http.IncomingMessage,
  response: http.ServerResponse,
  authorize: MetricsAuthorizer,
  render: () => string,
): Promise<void> {
  const path = (request.url ?? '').split('?')[0];
  if (path !== '/metrics') return void response.writeHead(404).end();
  if (request.method !== 'GET' && request.method !== 'HEAD') return void response.writeHead(405, { allow: 'GET, HEAD' }).end();
  const verdict = await authorize(request.headers.authorization).catch(() => 'unavailable' as const);
  if (verdict !== 'ok') {
    const status = { unauthenticated: 401, forbidden: 403, unavailable: 503 }[verdict];
    return void response.writeHead(status, status === 401 ? { 'www-authenticate': 'Bearer' } : {}).end();
  }
  const text = render();
  response.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE, 'cache-control': 'no-store' });
  response.end(request.method === 'HEAD' ? undefined : text);
}
