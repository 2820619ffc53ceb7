import type { DataPolicy } from './security/data-policy.ts';
import type { SmartClient } from './security/smart-auth.ts';
import type { Condition } from '../transforms/dsl/predicate.ts';

/**
 * A channel is data: a source, the message types it accepts, the transforms that make canonical
 * events, and the destinations that receive them. Files in `channels/` export one each; string
 * settings may hold `${VAR:-default}` placeholders, resolved from the environment at load time.
 */
export interface RetryPolicy {
  /** Attempts that reached (or may have reached) the peer before the delivery is dead. Default 8. */
  attempts: number;
  /** First backoff; doubles each attempt, with ±20% jitter. Default 1000 ms. */
  initialDelayMs: number;
  /** Cap on one backoff. Default 5 minutes. */
  maxDelayMs: number;
}

export interface DestinationSpec {
  id: string;
  kind: string;
  /** Connector settings, checked against the connector's declared schema at start. */
  config: Record<string, unknown>;
  /** Canonical models it receives (e.g. EncounterEvent, ChargeEvent). */
  models: readonly string[];
  retry?: Partial<RetryPolicy>;
  /** Data classes it may receive; default: all but `direct-identifier` and `indirect-identifier` (see engine/security/data-policy.ts). */
  dataPolicy?: DataPolicy;
  /**
   * First-in first-out per key (a dotted path in the canonical event, e.g. `patient.mrn` or
   * `encounter.visitNumber`), in parallel across keys. When the head message of a key fails for good:
   * `block` holds that key's later messages until the head is replayed; `park` dead-letters the head
   * and goes on. The key is read before the data policy, so an MRN may order without being sent.
   */
  ordering?: { key: string; onHeadFailure: 'block' | 'park' };
}

export interface MllpSourceSpec {
  kind: 'mllp';
  host: string;
  port: number | string;
  /** Largest frame accepted; larger frames get a NAK and the connection is closed. Default 1 MiB. */
  maxFrameBytes?: number | string;
  /** A connection with no traffic for this long is closed. Default 5 minutes. */
  idleTimeoutMs?: number | string;
  /**
   * A frame not complete this long after its start block is dropped and its connection closed,
   * unanswered (a stalled or slow sender holding memory). Default MLLP_FRAME_TIMEOUT_MS (30 s).
   */
  frameTimeoutMs?: number | string;
  /** Open connections of this listener; one more is closed at once. Default MLLP_MAX_CONNECTIONS (1,000). */
  maxConnections?: number | string;
  /** Open connections from one remote address; one more is closed at once. Default MLLP_MAX_CONNECTIONS_PER_ADDRESS (100). */
  maxConnectionsPerAddress?: number | string;
  /**
   * Bytes all connections of this listener may hold together (unfinished frames and frames waiting
   * for intake); the connection whose read would pass it is closed, unanswered. Default
   * MLLP_MAX_BUFFERED_BYTES (256 MiB).
   */
  maxBufferedBytes?: number | string;
  /** Charset when MSH-18 is empty. Default UNICODE UTF-8. */
  defaultCharset?: string;
  /**
   * MLLP over TLS (1.2 or later): the listener speaks TLS only. PEM files, read at start.
   * `requireClientCertificate` (`true`/`'true'`) turns on mutual TLS: a client must present a
   * certificate signed by a CA in `caFile`, or its handshake is refused. With `allowedSubjects` or
   * `allowedFingerprints` as well, the certificate must also match one entry of either list, or the
   * connection is closed before any frame is read. A subject entry lists the attributes to match
   * (`'CN=lab-analyzer-1'`, `'CN=lab-analyzer-1, O=GENHOSP'`); a fingerprint is the certificate's
   * SHA-256 in hex, colons optional, any case. See connectors/mllp/mllp.tls.ts.
   */
  tls?: {
    certFile: string;
    keyFile: string;
    /** CA(s) that sign client certificates; required with `requireClientCertificate`. */
    caFile?: string;
    requireClientCertificate?: boolean | string;
    allowedSubjects?: readonly string[];
    allowedFingerprints?: readonly string[];
  };
}

/** FHIR R4 REST endpoint at `/fhir/<channelId>` on the engine's HTTP server. */
export interface FhirSourceSpec {
  kind: 'fhir';
  /** Static bearer tokens for automation (secrets; use `${VAR}`). None: every request is refused. */
  tokens?: readonly string[];
  /** Largest body accepted; larger ones are answered 413. Default 4 MiB. */
  bodyLimitBytes?: number | string;
  /** SMART Backend Services clients: id, public JWKS, the scopes each may be granted. */
  clients?: readonly SmartClient[];
  /**
   * The channel's FHIR base URL as its clients address it, e.g.
   * `https://switchboard.example.org/fhir/ehr-fhir` (behind a proxy: the proxy's address). Never
   * taken from a request's Host header: `<publicBaseUrl>/auth/token` is the SMART token endpoint,
   * the one audience (`aud`) a client assertion may name, and what discovery
   * (`/.well-known/smart-configuration`) announces; the CapabilityStatement gives it as
   * `implementation.url`. Absolute http(s), no query or fragment; a trailing slash is dropped.
   * Default: none, which is allowed only without `clients` (the channel then issues no SMART tokens
   * and has no discovery document); with clients and without it the channel does not start.
   */
  publicBaseUrl?: string;
}

export interface ChannelDefinition {
  id: string;
  description?: string;
  source: MllpSourceSpec | FhirSourceSpec;
  /** Accepted message types (`ADT^A01`, `ADT^*`) or, for FHIR, resource types. Anything else is refused (AR, 404). */
  accept: readonly string[];
  /** Accepted messages that fail this condition are stored as `filtered` and sent nowhere. */
  filter?: Condition;
  /** Transform ids (see transforms/index.ts); every one that accepts the message type runs. */
  transforms: readonly string[];
  destinations: readonly DestinationSpec[];
  /**
   * Most canonical events one message may make (all transforms together). A message making more is
   * refused whole: AR over MLLP naming the cap (MSA-3, ERR-8), stored as `rejected` for review,
   * sent nowhere; a small message must not fan out into thousands of postings. Default
   * DEFAULT_MAX_EVENTS_PER_MESSAGE (500).
   */
  maxEventsPerMessage?: number;
}

/** The default of ChannelDefinition.maxEventsPerMessage. */
export const DEFAULT_MAX_EVENTS_PER_MESSAGE = 500;

/** Declares a channel, keeping its source's own type (MLLP or FHIR) for those who read it. */
export function defineChannel<C extends ChannelDefinition>(def: C): C {
  return def;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 8, initialDelayMs: 1000, maxDelayMs: 300_000 };

/** Whether a channel's accept list covers `type^trigger`. */
export function accepts(channel: ChannelDefinition, messageType: string, trigger: string): boolean {
  return channel.accept.some((a) => a === `${messageType}^${trigger}` || a === `${messageType}^*`);
}
