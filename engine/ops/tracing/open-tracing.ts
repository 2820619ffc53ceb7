import { randomUUID } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import { loggingErrorHandler, setGlobalErrorHandler } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import pkg from '../../../package.json' with { type: 'json' };
import type { Cleanup } from '../../engine-start.ts';
import type { Logger } from '../../log.ts';
import type { SourceTracing } from '../../connector.ts';
import { sourceTracing } from './source-tracing.ts';
import { setActiveTracer } from './spans.ts';
import { tracesUrl, unspokenProtocol, type TracingConfig } from './tracing-config.ts';

/** The instrumentation scope of every span the engine makes. */
export const TRACER_NAME = 'switchboard';

/** The process's tracer provider while one or more engines of the process trace (tests start several engines in one process). */
let shared: { provider: NodeTracerProvider; url: string; users: number } | undefined;

/**
 * Starts tracing for an engine when the configuration names an OTLP endpoint (tracing-config.ts):
 * a tracer provider exporting in batches to the endpoint as OTLP/HTTP JSON, registered as the
 * process's global provider, and the engine's spans on (spans.ts). Registers the shutdown in
 * `cleanups` (first, so it runs last: spans of the drain are flushed), bounded by `graceMs`. Off
 * (no endpoint): nothing is registered and every span helper is a no-op. No context manager is
 * installed: the engine passes parents explicitly, so no async hook costs anything per promise.
 * The resource says service name and version and a random instance id: nothing of the host.
 * Returns what the engine hands its sources (SourceDeps.tracing), on or off.
 */
export function openTracing(config: TracingConfig, o: { log: Logger; graceMs: number }, cleanups: Cleanup[]): SourceTracing {
  const url = tracesUrl(config);
  if (!url) return sourceTracing;
  if (shared && shared.url !== url) o.log.warn('tracing already exports elsewhere in this process; spans go there', { url: shared.url });
  if (!shared) setGlobalErrorHandler(exportWarning(o.log));
  shared ??= { provider: startProvider(url, config.OTEL_SERVICE_NAME), url, users: 0 };
  shared.users++;
  setActiveTracer(shared.provider.getTracer(TRACER_NAME, pkg.version));
  cleanups.push({ name: 'tracing', run: () => release(o.graceMs) });
  o.log.info('tracing on', { url: shared.url });
  const protocol = unspokenProtocol(config);
  if (protocol) o.log.warn('OTLP protocol not spoken here; spans are sent as http/json', { protocol });
  return sourceTracing;
}

function startProvider(url: string, serviceName: string): NodeTracerProvider {
  const resource = resourceFromAttributes({
    [ATTR_SERVICE_NAME]: serviceName,
    [ATTR_SERVICE_VERSION]: pkg.version,
    'service.instance.id': randomUUID(),
  });
  const exporter = new OTLPTraceExporter({ url });
  const provider = new NodeTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(exporter)] });
  trace.setGlobalTracerProvider(provider);
  return provider;
}

/** How often at most a failed export is logged: a collector that is down fails every batch. */
const WARN_EVERY_MS = 60_000;

/**
 * The SDK's error handler while the engine traces: a failed export (the collector down, refusing,
 * slow) is a warning in the engine's log, at most once a minute, naming the error (spans hold no
 * PHI, nor do the exporter's errors); the spans of that batch are dropped and tracing goes on.
 */
function exportWarning(log: Logger): (err: unknown) => void {
  let last = -Infinity;
  return (err) => {
    if (Date.now() - last < WARN_EVERY_MS) return;
    last = Date.now();
    const detail = (err instanceof Error ? `${err.name}: ${err.message}` : String(err)).split('\n')[0]!.slice(0, 200);
    log.warn('spans not exported; tracing goes on', { detail });
  };
}

/** One engine stops tracing; the last one flushes what is buffered (within `graceMs`) and unregisters the provider. */
async function release(graceMs: number): Promise<void> {
  const current = shared;
  if (!current || --current.users > 0) return;
  shared = undefined;
  setActiveTracer(undefined);
  trace.disable();
  setGlobalErrorHandler(loggingErrorHandler());
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(graceMs, 1))));
  try {
    await Promise.race([current.provider.shutdown(), bound]);
  } finally {
    clearTimeout(timer);
  }
}
