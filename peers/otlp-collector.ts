/**
 * OTLP collector stand-in: a small real HTTP server taking what an OpenTelemetry exporter sends to
 * `POST /v1/traces` (OTLP/HTTP, JSON encoding, as @opentelemetry/exporter-trace-otlp-http sends it,
 * gzip or not) and keeping the spans, flattened, for tests and the benchmark to read. Protobuf
 * bodies are refused with 415 (this stand-in does not decode them; the OpenTelemetry Collector takes
 * both). It logs nothing about spans. Standalone: `node --import tsx peers/otlp-collector.ts [--port 4318]`
 * prints one line per export (span count and names).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';

/** A value as OTLP JSON writes it (AnyValue), read back into a plain one. */
type AnyValue = {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: AnyValue[] };
  kvlistValue?: { values?: KeyValue[] };
  bytesValue?: string;
};
type KeyValue = { key: string; value?: AnyValue };

/** One span as received, its ids hex, its attributes (and its resource's and events') as plain objects. */
export interface CollectedSpan {
  traceId: string;
  spanId: string;
  /** Absent (or empty) for a root span. */
  parentSpanId?: string;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: Record<string, unknown>;
  events: { name: string; attributes: Record<string, unknown> }[];
  links: { traceId: string; spanId: string; attributes: Record<string, unknown> }[];
  status: { code?: number; message?: string };
  resource: Record<string, unknown>;
  scope: { name?: string; version?: string };
}

export interface OtlpCollector {
  /** The base URL (OTEL_EXPORTER_OTLP_ENDPOINT); spans are POSTed to `<url>/v1/traces`. */
  url: string;
  port: number;
  /** Every span received so far, in arrival order (none kept with `keep: false`). */
  spans(): CollectedSpan[];
  /** How many spans were received (kept or not). */
  spanCount(): number;
  /** How many export requests arrived (any path, any body). */
  requests(): number;
  close(): Promise<void>;
}

function plain(v: AnyValue | undefined): unknown {
  if (!v) return undefined;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.bytesValue !== undefined) return v.bytesValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(plain);
  if (v.kvlistValue) return attributes(v.kvlistValue.values);
  return undefined;
}

const attributes = (kvs: KeyValue[] | undefined): Record<string, unknown> =>
  Object.fromEntries((kvs ?? []).map((kv) => [kv.key, plain(kv.value)]));

type RawSpan = Omit<CollectedSpan, 'attributes' | 'events' | 'links' | 'resource' | 'scope'> & {
  attributes?: KeyValue[];
  events?: { name: string; attributes?: KeyValue[] }[];
  links?: { traceId: string; spanId: string; attributes?: KeyValue[] }[];
};
type ExportRequest = {
  resourceSpans?: {
    resource?: { attributes?: KeyValue[] };
    scopeSpans?: { scope?: { name?: string; version?: string }; spans?: RawSpan[] }[];
  }[];
};

/** The spans of one ExportTraceServiceRequest (OTLP JSON), flattened. */
export function readExport(body: ExportRequest): CollectedSpan[] {
  return (body.resourceSpans ?? []).flatMap((rs) =>
    (rs.scopeSpans ?? []).flatMap((ss) =>
      (ss.spans ?? []).map((s) => ({
        ...s,
        attributes: attributes(s.attributes),
        events: (s.events ?? []).map((e) => ({ name: e.name, attributes: attributes(e.attributes) })),
        links: (s.links ?? []).map((l) => ({ traceId: l.traceId, spanId: l.spanId, attributes: attributes(l.attributes) })),
        status: s.status ?? {},
        resource: attributes(rs.resource?.attributes),
        scope: ss.scope ?? {},
      })),
    ),
  );
}

/**
 * Starts the stand-in on `port` (default any free one) of `host` (default the loopback). `keep: false`
 * counts spans without keeping them (a benchmark's hours of spans); `onExport` sees each export's spans.
 */
export async function startOtlpCollector(
  opts: { port?: number; host?: string; keep?: boolean; onExport?: (spans: CollectedSpan[]) => void } = {},
): Promise<OtlpCollector> {
  const received: CollectedSpan[] = [];
  let count = 0;
  let spanCount = 0;
  const json = (res: http.ServerResponse, status: number, body: unknown) =>
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      count++;
      if (req.method !== 'POST' || new URL(req.url ?? '/', 'http://collector').pathname !== '/v1/traces')
        return json(res, 404, { error: 'not found' });
      if (!String(req.headers['content-type'] ?? '').includes('json'))
        return json(res, 415, { error: 'this stand-in takes OTLP JSON only (OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=http/json)' });
      try {
        const raw = Buffer.concat(chunks);
        const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
        const spans = readExport(JSON.parse(body.toString('utf8')) as ExportRequest);
        spanCount += spans.length;
        if (opts.keep !== false) received.push(...spans);
        opts.onExport?.(spans);
        return json(res, 200, {});
      } catch {
        return json(res, 400, { error: 'body is not an OTLP JSON export' });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const collector: OtlpCollector = {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    port,
    spans: () => [...received],
    spanCount: () => spanCount,
    requests: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return collector;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const i = process.argv.indexOf('--port');
  const collector = await startOtlpCollector({
    port: i === -1 ? 4318 : Number(process.argv[i + 1]),
    onExport: (spans) => console.log(`${spans.length} spans: ${[...new Set(spans.map((s) => s.name))].join(', ')}`),
  });
  console.log(`OTLP collector stand-in listening on ${collector.url} (POST /v1/traces, OTLP JSON)`);
  const stop = () => void collector.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
