import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { renderProcessPrometheus } from './exposition.ts';
import { ProcessMetrics } from './process-metrics.ts';
import { PROMETHEUS_CONTENT_TYPE } from './prometheus-text.ts';

/** A metrics-only listener, started; `close()` stops it and its event-loop sampler. */
export interface MetricsListener {
  port: number;
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` of a worker process (which has no admin API) on `host:port`: the counters
 * and histograms this process keeps and its process metrics (renderProcessPrometheus), so that
 * Prometheus scrapes every worker as it scrapes every admin server. Any other path or method is
 * 404/405. There is no authentication: the figures hold ids, codes and counts, never patient data,
 * and the listener binds to loopback unless METRICS_HOST says otherwise.
 */
export async function startMetricsListener(host: string, port: number): Promise<MetricsListener> {
  const processMetrics = new ProcessMetrics();
  const server = http.createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (path !== '/metrics') return void response.writeHead(404).end();
    if (request.method !== 'GET' && request.method !== 'HEAD') return void response.writeHead(405, { allow: 'GET, HEAD' }).end();
    const text = renderProcessPrometheus(processMetrics);
    response.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE, 'cache-control': 'no-store' });
    response.end(request.method === 'HEAD' ? undefined : text);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => (server.off('error', reject), resolve()));
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
