import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { ChannelDefinition } from '../../engine/channel.ts';
import { SwitchboardError } from '../../engine/errors.ts';
import { SmartAuthority } from '../../engine/security/smart-auth.ts';
import type { FhirSourceConfig } from './fhir.source.ts';

/** How static bearer tokens are kept and compared: their SHA-256, never the token itself. */
export const tokenDigest = (token: string): Buffer => createHash('sha256').update(token).digest();

/** The largest `source.bodyLimitBytes` honoured (a larger one is cut to it): what the routes read at most. */
export const FHIR_BODY_LIMIT_CAP = 64 * 1024 * 1024;

/** One FHIR channel as its routes serve it: the deployed definition and what is derived from it. */
export interface FhirSource {
  channel: ChannelDefinition;
  smart: SmartAuthority;
  /** SHA-256 of each static bearer token. */
  tokens: readonly Buffer[];
  accepted: ReadonlySet<string>;
  bodyLimit: number;
  /**
   * `source.publicBaseUrl` without a trailing slash: the channel's FHIR base as its clients address
   * it. Its `/auth/token` is the SMART token endpoint and the only audience a client assertion may
   * name. Undefined when not configured (then the channel has no SMART clients).
   */
  baseUrl: string | undefined;
  /** Paused channels answer 503 (the client retries later), as a paused MLLP channel stops listening. */
  paused: boolean;
}

/**
 * The FHIR channels this process serves, by channel id. The FHIR routes are registered once, at
 * `/fhir/:channelId` (fhir-routes.ts), and read the channel here on each
 * request, so a FHIR channel deployed, changed, paused or removed while the engine runs takes
 * effect at once. Each ChannelRuntime of a FHIR channel opens its entry on start and closes it on
 * close; an entry replaced by a newer deploy of the same channel is not removed by the old one.
 */
export class FhirSources {
  private readonly sources = new Map<string, FhirSource>();

  constructor(private readonly o: { redis: Redis; prefix: string }) {}

  /**
   * Serves a channel (its definition with `${VAR}` placeholders resolved). Throws CONFIG_INVALID when
   * `publicBaseUrl` is not an absolute http(s) URL, or is missing while SMART clients are registered
   * (their assertions' audience could not be checked): the channel then does not start.
   */
  open(channel: ChannelDefinition, config: FhirSourceConfig): FhirSource {
    const source: FhirSource = {
      channel,
      smart: new SmartAuthority({ channelId: channel.id, clients: config.clients ?? [], redis: this.o.redis, prefix: this.o.prefix }),
      tokens: (config.tokens ?? []).filter((t) => t !== '').map(tokenDigest),
      accepted: new Set(channel.accept),
      bodyLimit: Math.min(config.bodyLimitBytes, FHIR_BODY_LIMIT_CAP),
      baseUrl: publicBaseUrl(channel.id, config),
      paused: false,
    };
    this.sources.set(channel.id, source);
    return source;
  }

  close(source: FhirSource): void {
    if (this.sources.get(source.channel.id) === source) this.sources.delete(source.channel.id);
  }

  get(channelId: string): FhirSource | undefined {
    return this.sources.get(channelId);
  }
}

/** The channel's `publicBaseUrl`, checked and without a trailing slash (see FhirSources.open). */
function publicBaseUrl(channelId: string, config: FhirSourceConfig): string | undefined {
  const given = config.publicBaseUrl;
  if (given === undefined || given === '') {
    if ((config.clients ?? []).length === 0) return undefined;
    throw new SwitchboardError(
      'CONFIG_INVALID',
      `channel ${channelId}: source.publicBaseUrl is required when SMART clients are registered`,
    );
  }
  let url: URL | undefined;
  try {
    url = new URL(given);
  } catch {
    url = undefined;
  }
  if (
    !url ||
    !['http:', 'https:'].includes(url.protocol) ||
    url.search !== '' ||
    url.hash !== '' ||
    url.username !== '' ||
    url.password !== ''
  ) {
    throw new SwitchboardError(
      'CONFIG_INVALID',
      `channel ${channelId}: source.publicBaseUrl must be an absolute http(s) URL without query, fragment or credentials`,
    );
  }
  return url.href.replace(/\/+$/, '');
}
