import { Type, type Static } from '@sinclair/typebox';
import { defineSource, type SourceConnector } from '../../engine/connector.ts';
import type { ChannelDefinition } from '../../engine/channel.ts';
import { FhirValidatorPool } from './fhir.validator-pool.ts';
import { registerFhirSources } from './fhir-routes.ts';
import { FhirSources, type FhirSource } from './fhir-sources.ts';

/** Default largest FHIR request body of a channel (`bodyLimitBytes`). */
export const DEFAULT_FHIR_BODY_LIMIT = 4 * 1024 * 1024;

/** A FHIR source's settings: the channel's `source` object less `kind`. */
export const FhirSourceConfig = Type.Object(
  {
    tokens: Type.Optional(
      Type.Array(Type.String(), { description: 'Static bearer tokens for automation (secrets; use ${VAR}). None: only SMART clients.' }),
    ),
    bodyLimitBytes: Type.Integer({
      minimum: 1,
      default: DEFAULT_FHIR_BODY_LIMIT,
      description: 'Largest body accepted; larger ones are answered 413. Default 4 MiB.',
    }),
    clients: Type.Optional(
      Type.Array(
        Type.Object({
          clientId: Type.String(),
          jwks: Type.Object({ keys: Type.Array(Type.Record(Type.String(), Type.Unknown())) }),
          scopes: Type.Array(Type.String()),
        }),
        { description: 'SMART Backend Services clients: id, public JWKS, the scopes each may be granted.' },
      ),
    ),
    publicBaseUrl: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          "The channel's FHIR base URL as clients address it: the SMART token endpoint is <publicBaseUrl>/auth/token, the only audience " +
          "a client assertion may name (never the request's Host header). Required with clients; no default.",
        examples: ['https://switchboard.example.org/fhir/ehr-fhir', '${FHIR_PUBLIC_BASE_URL:-http://localhost:8080/fhir/ehr-fhir}'],
      }),
    ),
  },
  { additionalProperties: false },
);
export type FhirSourceConfig = Static<typeof FhirSourceConfig>;

/**
 * The `fhir` source: a FHIR R4 REST endpoint at `/fhir/<channelId>` on the engine's HTTP server
 * (fhir-routes.ts). The routes are registered once per process, when the kind starts, with a pool
 * of validation threads (FHIR_VALIDATION_THREADS) closed after the HTTP server; each channel's
 * source opens its entry in FhirSources, which the routes read per request, so deploys, pauses
 * (503) and removals (404) take effect at once.
 */
export const fhirSource = defineSource({
  kind: 'fhir',
  title: 'FHIR R4 REST endpoint',
  config: FhirSourceConfig,
  secrets: ['tokens'],
  examples: [
    {
      tokens: ['${FHIR_API_TOKEN}'],
      bodyLimitBytes: DEFAULT_FHIR_BODY_LIMIT,
      publicBaseUrl: 'https://switchboard.example.org/fhir/ehr-fhir',
    },
  ],
  start: async ({ intake, log, config, redis, http, tracing }) => {
    const validator = new FhirValidatorPool(config.FHIR_VALIDATION_THREADS);
    await validator.start();
    const sources = new FhirSources({ redis, prefix: config.QUEUE_PREFIX });
    await registerFhirSources(http, { sources, intake, validator, log, tracing });
    return { create: (channel, c) => new FhirChannelSource(sources, channel, c), close: () => validator.close() };
  },
});

/** One channel's entry in FhirSources: served from start, answering 503 while paused, 404 once closed. */
class FhirChannelSource implements SourceConnector {
  private entry: FhirSource | undefined;

  constructor(
    private readonly sources: FhirSources,
    private readonly channel: ChannelDefinition,
    private readonly config: FhirSourceConfig,
  ) {}

  async start(): Promise<{ httpPath: string }> {
    this.entry ??= this.sources.open(this.channel, this.config);
    this.entry.paused = false;
    return { httpPath: `/fhir/${this.channel.id}` };
  }

  async pause(): Promise<void> {
    if (this.entry) this.entry.paused = true;
  }

  resume(): Promise<{ httpPath: string }> {
    return this.start();
  }

  async close(): Promise<void> {
    if (this.entry) this.sources.close(this.entry);
  }
}
