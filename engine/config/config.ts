import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { SwitchboardError } from '../errors.ts';
import { LOG_FORMATS } from '../log.ts';
import { TracingConfigProperties } from '../ops/tracing/tracing-config.ts';
import { AlertConfigProperties } from '../ops/alerts/alert-config.ts';
import { RetentionConfigProperties } from '../ops/retention/retention-config.ts';

/**
 * Engine settings from the environment: one schema gives the type, the defaults, the README's
 * configuration table and the error that names a bad variable. Channel settings live in channels/.
 */
export const EngineConfigSchema = Type.Object({
  REDIS_URL: Type.String({ description: 'Redis 6+ with maxmemory-policy noeviction. Set by scripts/services.sh when unset.' }),
  MONGODB_URL: Type.String({ description: 'MongoDB 6+ or FerretDB. Set by scripts/services.sh when unset.' }),
  MONGODB_DB: Type.String({ default: 'switchboard', description: 'Database name.' }),
  QUEUE_PREFIX: Type.String({ default: 'sb', pattern: '^[A-Za-z0-9_-]+$', description: 'Prefix of every Redis key.' }),
  SWITCHBOARD_ROLE: Type.Union([Type.Literal('all'), Type.Literal('ingest'), Type.Literal('worker')], {
    default: 'all',
    description:
      'ingest: sources and HTTP; worker: route and delivery workers and the relay; all: both. Many workers may share one Redis and store.',
  }),
  HTTP_HOST: Type.String({
    default: '127.0.0.1',
    description: 'HTTP bind address of the admin API and FHIR channels; loopback by default, 0.0.0.0 with HTTPS to serve a network.',
  }),
  HTTP_PORT: Type.Integer({ default: 8080, minimum: 0, maximum: 65535, description: 'Admin API port; 0 picks a free one.' }),
  METRICS_PORT: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: 65535,
      description:
        'Worker role: port of a listener serving only GET /metrics (this process’s counters, to an API token with metrics:read, ' +
        'as on the admin API); unset: none. The ingest and all roles serve /metrics on the admin API.',
    }),
  ),
  METRICS_HOST: Type.String({ default: '127.0.0.1', description: 'Bind address of the METRICS_PORT listener.' }),
  RELAY_INTERVAL_MS: Type.Integer({
    default: 5000,
    minimum: 100,
    description:
      'Least rest between two passes of the relay, which compares the store with Redis; a pass is also followed by at least 19 times its ' +
      'own duration (the relay takes at most 5% of the time).',
  }),
  FLOWS: Type.String({
    default: '*',
    pattern: '^(\\*|none|[a-z0-9][a-z0-9-]*(,[a-z0-9][a-z0-9-]*)*)$',
    description: 'The process flows of flows/index.ts this deployment runs: `*` every one, `none`, or a comma-separated list of flow ids.',
  }),
  RELAY_STALE_MS: Type.Integer({ default: 10000, minimum: 0, description: 'Age before an unsettled message is checked by the relay.' }),
  RELAY_SWEEP_MS: Type.Integer({
    default: 3_600_000,
    minimum: 1000,
    description:
      'How often the relay also looks for messages in flight stored without the unsettled flag (by an older version); on FerretDB a read ' +
      'of the whole collection.',
  }),
  REPLAY_STALE_MS: Type.Integer({
    default: 30000,
    minimum: 100,
    description: 'A running replay whose heartbeat is older than this is resumed by another process (its own died).',
  }),
  STORE_TIMEOUT_MS: Type.Integer({ default: 5000, minimum: 100, description: 'Bound on one intake write; past it the sender gets AE.' }),
  DELIVERY_CONCURRENCY: Type.Integer({ default: 8, minimum: 1, description: 'Deliveries in flight per destination.' }),
  ROUTE_CONCURRENCY: Type.Integer({ default: 8, minimum: 1, description: 'Messages transformed in parallel.' }),
  FHIR_VALIDATION_THREADS: Type.Integer({
    default: 2,
    minimum: 1,
    maximum: 64,
    description:
      'Worker threads validating FHIR request bodies off the event loop, each holding the R4 definitions; 16 validations per thread may ' +
      'wait, past that FHIR answers 503.',
  }),
  MLLP_MAX_CONNECTIONS: Type.Integer({
    default: 1000,
    minimum: 1,
    description: "Default of an MLLP listener's maxConnections: open connections per listener; one more is closed at once.",
  }),
  MLLP_MAX_CONNECTIONS_PER_ADDRESS: Type.Integer({
    default: 100,
    minimum: 1,
    description:
      "Default of an MLLP listener's maxConnectionsPerAddress: open connections from one remote address; one more is closed at once.",
  }),
  MLLP_MAX_BUFFERED_BYTES: Type.Integer({
    default: 268_435_456,
    minimum: 1024,
    description:
      "Default of an MLLP listener's maxBufferedBytes: bytes its connections hold together (unfinished frames, frames waiting for " +
      'intake); the connection that would pass it is closed unanswered.',
  }),
  MLLP_FRAME_TIMEOUT_MS: Type.Integer({
    default: 30_000,
    minimum: 100,
    description:
      "Default of an MLLP listener's frameTimeoutMs: a frame not complete this long after its start block is dropped and the connection " +
      'closed unanswered (idle connections between frames follow idleTimeoutMs).',
  }),
  STARTUP_TIMEOUT_MS: Type.Integer({ default: 15000, minimum: 0, description: 'How long start waits for Redis and the store to answer.' }),
  SHUTDOWN_GRACE_MS: Type.Integer({ default: 10000, minimum: 0, description: 'Drain time for in-flight work at stop.' }),
  PSEUDONYM_KEY: Type.Optional(
    Type.String({
      minLength: 44,
      description: 'Base64 key (32+ bytes) for keyed-HMAC patient pseudonyms; required when a destination pseudonymises. A secret.',
    }),
  ),
  INTAKE_ACK_ONLY: Type.Boolean({
    default: false,
    description: 'Benchmarks only: MLLP intake reads the header and answers AA or AR; nothing is stored, transformed or queued.',
  }),
  HEAP_GROWING_PERCENT: Type.Integer({
    default: 60,
    minimum: 0,
    maximum: 300,
    description:
      "How far V8's heap may grow past what the last full garbage collection kept before it collects again, in percent; 0 keeps V8's own " +
      'choice (300 on a machine with 2 GB or more of heap limit: under load the heap then swings between the live data and four times it).',
  }),
  ...RetentionConfigProperties,
  LOG_LEVEL: Type.Union([Type.Literal('error'), Type.Literal('warn'), Type.Literal('info'), Type.Literal('debug')], { default: 'info' }),
  LOG_FORMAT: Type.Optional(
    Type.Union(
      LOG_FORMATS.map((f) => Type.Literal(f)),
      {
        description:
          'json: one JSON object a line; pretty: readable lines. Unset: pretty when standard error is a terminal, else json (see ' +
          'chooseLogFormat in log.ts).',
      },
    ),
  ),
  ...TracingConfigProperties,
  ...AlertConfigProperties,
});
export type EngineConfig = Static<typeof EngineConfigSchema>;

/** Reads, converts and checks settings; CONFIG_INVALID names the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): EngineConfig {
  const input: Record<string, unknown> = {};
  for (const key of Object.keys(EngineConfigSchema.properties)) {
    const v = env[key];
    if (v !== undefined && v !== '') input[key] = v;
  }
  const value = Value.Default(EngineConfigSchema, Value.Convert(EngineConfigSchema, input));
  const error = Value.Errors(EngineConfigSchema, value).First();
  if (error) {
    const name = error.path.replace(/^\//, '') || 'configuration';
    throw new SwitchboardError('CONFIG_INVALID', `${name}: ${error.message}`);
  }
  return value as EngineConfig;
}
