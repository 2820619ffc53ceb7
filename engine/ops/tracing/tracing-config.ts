import { Type, type Static } from '@sinclair/typebox';

/**
 * The engine's trace settings: OpenTelemetry's own variable names (the OTLP exporter specification),
 * spread into EngineConfigSchema (config.ts). Tracing is off unless one of the two endpoints is set.
 */
export const TracingConfigProperties = {
  OTEL_EXPORTER_OTLP_ENDPOINT: Type.Optional(
    Type.String({
      pattern: '^https?://',
      description:
        'OTLP/HTTP base URL of a trace collector (spans are POSTed to `<it>/v1/traces` as OTLP JSON); unset with the next: tracing off.',
    }),
  ),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: Type.Optional(
    Type.String({ pattern: '^https?://', description: 'The full URL spans are POSTed to; wins over OTEL_EXPORTER_OTLP_ENDPOINT.' }),
  ),
  OTEL_SERVICE_NAME: Type.String({ default: 'switchboard', description: 'The `service.name` of the spans this process exports.' }),
  OTEL_EXPORTER_OTLP_PROTOCOL: Type.Optional(
    Type.String({ description: 'Only `http/json` is spoken (the OTLP HTTP exporter); another value is warned about and JSON sent.' }),
  ),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: Type.Optional(Type.String({ description: 'As OTEL_EXPORTER_OTLP_PROTOCOL, for traces.' })),
};

const TracingConfigSchema = Type.Object(TracingConfigProperties);
export type TracingConfig = Static<typeof TracingConfigSchema>;

/** The protocol asked for when it is not the one spoken (`http/json`), for a warning at start; undefined when fine. */
export function unspokenProtocol(
  config: Pick<TracingConfig, 'OTEL_EXPORTER_OTLP_PROTOCOL' | 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'>,
): string | undefined {
  const asked = config.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? config.OTEL_EXPORTER_OTLP_PROTOCOL;
  return asked === undefined || asked === 'http/json' ? undefined : asked;
}

/**
 * Where spans go (the OTLP exporter specification's rules): the traces endpoint as given, else the
 * base endpoint with `/v1/traces` appended (one slash between them); undefined when neither is set,
 * which turns tracing off.
 */
export function tracesUrl(
  config: Pick<TracingConfig, 'OTEL_EXPORTER_OTLP_ENDPOINT' | 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'>,
): string | undefined {
  if (config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const base = config.OTEL_EXPORTER_OTLP_ENDPOINT;
  return base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined;
}
