import type { DataPolicy } from './security/data-policy.ts';
import type { Condition } from '../transforms/dsl/predicate.ts';
import type { ChannelRetention } from './ops/retention/retention-rules.ts';

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

/**
 * A channel's source: `kind` names a source connector (connectors/index.ts: `mllp`, `fhir`); the
 * other settings are that connector's, declared by its `defineSource` schema and checked against it
 * when the channel is validated and started (connectors/mllp/mllp.source.ts, connectors/fhir/fhir.source.ts).
 */
export interface SourceSpec {
  kind: string;
  [setting: string]: unknown;
}

export interface ChannelDefinition {
  id: string;
  description?: string;
  source: SourceSpec;
  /** Accepted message types (`ADT^A01`, `ADT^*`) or, for FHIR, resource types. Anything else is refused (AR, 404). */
  accept: readonly string[];
  /** Accepted messages that fail this condition are stored as `filtered` and sent nowhere. */
  filter?: Condition;
  /** Transform ids (see transforms/index.ts); every one that accepts the message type runs. */
  transforms: readonly string[];
  /**
   * Data mappings (versioned data an analyst edits, engine/mappings), each at the exact version
   * this channel version runs: every one that accepts the message type runs, after `transforms`.
   */
  mappings?: readonly { id: string; version: number }[];
  /** The exact version of each lookup table its mappings read (a table not pinned here is unknown to them). */
  tables?: Readonly<Record<string, number>>;
  destinations: readonly DestinationSpec[];
  /**
   * Most canonical events one message may make (all transforms together). A message making more is
   * refused whole: AR over MLLP naming the cap (MSA-3, ERR-8), stored as `rejected` for review,
   * sent nowhere; a small message must not fan out into thousands of postings. Default
   * DEFAULT_MAX_EVENTS_PER_MESSAGE (500).
   */
  maxEventsPerMessage?: number;
  /**
   * Values copied out of each message at intake for support searches (`GET /api/messages?channel=…&field=<name>&value=…`):
   * an HL7v2 path or a FHIRPath expression each (see engine/channels/search-fields.ts). Messages stored before a field
   * was declared are not indexed by it.
   */
  searchFields?: readonly SearchField[];
  /** How long its messages are kept, per class or status (engine/ops/retention); absent: the global settings. */
  retention?: ChannelRetention;
}

/** A declared search field: its name, and where its values are read (`hl7` for HL7v2 messages, `fhirpath` for FHIR resources). */
export interface SearchField {
  name: string;
  hl7?: string;
  fhirpath?: string;
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
