import type { AckOutcome, DeliveryStatus, MessageStatus, ReplayableStatus, ReplayState } from './states.ts';
import type { ErrorCode, FailureClass, SwitchboardError } from '../errors.ts';

/** Summary fields copied out of the message at intake, for search and routing without re-parsing. */
export interface MessageSummary {
  messageType: string;
  triggerEvent: string;
  controlId: string;
  sendingApplication: string;
  sendingFacility: string;
  /** Patient identifier (PID-3.1, first MR repetition); PHI, indexed for support searches. */
  mrn: string;
}

export interface DeliveryAttempt {
  at: Date;
  attempt: number;
  outcome: typeof DeliveryStatus.delivered | FailureClass;
  errorCode?: ErrorCode;
  error?: string;
  /** PHI-free summary of the peer's answer: status and an excerpt of its body. */
  response?: string;
  durationMs: number;
  /** The replay this attempt belongs to; absent for the original delivery. Attempts count per replay. */
  replayId?: string;
}

export interface DeliveryRecord {
  destinationId: string;
  status: DeliveryStatus;
  idempotencyKey: string;
  /** Number of canonical events the peer has confirmed, so a retry resumes after them. */
  sentEvents: number;
  attempts: DeliveryAttempt[];
  lastError?: { code: ErrorCode; detail: string; response?: string };
  peerDocumentIds?: string[];
  nextAttemptAt?: Date;
  deliveredAt?: Date;
  /** The replay that last set this delivery back to pending. */
  replayId?: string;
  /** For an ordered destination: the key this delivery is ordered by (see DestinationSpec.ordering). */
  orderKey?: string;
}

/** One canonical event with the model and transform version that made it. */
export interface CanonicalEvent {
  model: string;
  modelVersion: number;
  transformId: string;
  transformVersion: number;
  /** The lookup tables the transform read, each at the version it read (data mappings). */
  tables?: Record<string, number>;
  event: Record<string, unknown>;
}

/** The events of a message that a destination takes, in order. */
export function eventsFor(record: Pick<MessageRecord, 'canonical'>, models: readonly string[]): CanonicalEvent[] {
  return (record.canonical?.events ?? []).filter((e) => models.includes(e.model));
}

/** `transformId@version` of each transform that made `events`, once each. */
export const transformVersions = (events: CanonicalEvent[]): string[] => [
  ...new Set(events.map((e) => `${e.transformId}@${e.transformVersion}`)),
];

export interface CanonicalRecord {
  events: CanonicalEvent[];
  /** Without encryption at rest: the events as UTF-8 JSON (then `events` is stored empty; see RecordSealer). */
  packed?: Uint8Array;
  /** With encryption at rest: the events, sealed (then `events` is stored empty). */
  sealed?: Uint8Array;
}

export interface AckRecord {
  code: AckOutcome;
  text?: string;
  /** The exact ACK message sent (HL7 text), re-sent as is to a duplicate. */
  message?: string;
  sentAt: Date;
}

/** One document per message in the `messages` collection: the system of record. */
export interface MessageRecord {
  _id: string;
  channelId: string;
  /** How `raw` is encoded: HL7v2 text in `charset`, or a FHIR R4 resource as UTF-8 JSON. */
  format: 'hl7v2' | 'fhir';
  receivedAt: Date;
  updatedAt: Date;
  /**
   * Unique per channel: `<channel>|<MSH-3>|<MSH-4>|<MSH-10>`; `rejected|<id>` for rejected input; `<channel>|correction|<id>`
   * for a correction (which keeps MSH-10).
   */
  dedupeKey: string;
  raw: Uint8Array;
  charset: string;
  /**
   * HL7v2: the content hash (content-hash.ts, MSH-7 left out), stored as a keyed hash with
   * SEARCH_HASH_KEY. A message meeting this one's `dedupeKey` is a resend only with the same hash;
   * otherwise it reuses the control id and is refused. Absent on FHIR, rejected and earlier
   * versions' records: a message meeting one of those is taken as a resend, as before.
   */
  contentHash?: string;
  summary?: MessageSummary;
  status: MessageStatus;
  error?: { code: ErrorCode; detail: string };
  /** Why an accepted message was sent nowhere (channel filter, no transform, no destination). */
  filteredReason?: string;
  canonical?: CanonicalRecord;
  deliveries: Record<string, DeliveryRecord>;
  ack: AckRecord;
  /** For search by destination (indexed): the destinations it was routed to. */
  destinationIds?: string[];
  /**
   * Present (true) exactly while `status` is received or routed (isUnsettledStatus); every write of
   * `status` sets or removes it in the same update. Only the relay's query names it, so its index
   * holds only the few messages still in flight: on FerretDB, which passes an equality down to
   * PostgreSQL but no `$in`, the relay reads those instead of the whole collection.
   */
  unsettled?: true;
  /**
   * For ordered destinations' head check (indexed): `<destinationId>|<orderKey>` of each delivery
   * that has an order key and is not delivered (order-keys.ts). A top-level field because FerretDB 1.24 passes nothing on
   * a nested one down to PostgreSQL: the check by `deliveries.<id>.orderKey` read the whole
   * collection for every delivery (6.1 s at 50,000 messages).
   */
  orderKeys?: string[];
  /** For a replay's read-back (indexed): the id of each replay that set a delivery of this message back to pending (replay-ids.ts). */
  replayIds?: string[];
  /**
   * For the console's exact searches (indexed): the MRN by day, the control id and the channel's declared search fields by
   * day, each value as stored (search-keys.ts).
   */
  searchKeys?: string[];
  /**
   * Intake only, never stored: the values of the channel's declared search fields (field name → values), which the store
   * turns into `searchKeys` entries (hashed with SEARCH_HASH_KEY) and drops (engine/intake/search-field-values.ts).
   */
  searchFieldValues?: Readonly<Record<string, readonly string[]>>;
  /** For counts by time (indexed on FerretDB): the UTC minute `receivedAt` falls in, `YYYY-MM-DDTHH:MM` (received-minute.ts). */
  receivedMinute?: string;
  /** For pruning (indexed): the UTC day `receivedAt` falls in, `YYYY-MM-DD` (received-minute.ts). */
  receivedDay?: string;
  /** For search by error code (indexed): codes met at intake, routing and in any delivery's last error. */
  errorCodes?: string[];
  /**
   * An entry of a FHIR transaction not yet committed (MessageStore.insertTransaction): stored as
   * `filtered` (sent nowhere, out of the relay's sight) with its planned deliveries, until every
   * entry of its transaction is stored; the commit makes it `routed` and removes the flag.
   */
  staged?: true;
  /** With encryption at rest: the id of the key that sealed `raw`, the canonical events and `summarySealed`. */
  kid?: string;
  /** With encryption at rest: the summary's MRN and control id, sealed. */
  summarySealed?: Uint8Array;
  /**
   * A correction (edit and resend, engine/intake/corrections.ts): the id of the message it corrects, which stays as it was.
   * Set at intake, with `dedupeKey` `<channel>|correction|<own id>`.
   */
  correctionOf?: string;
  /** The corrections made of this message, oldest first: their ids (state, as the content is written once). */
  corrections?: string[];
  /**
   * W3C Trace Context of the message's intake span, when tracing was on (engine/ops/tracing/): deliveries
   * queued without one in their job (the relay, a re-route, a replay) continue or link to this trace.
   */
  traceparent?: string;
  tracestate?: string;
}

/** What routing decided for one message (planRoute): its next status, canonical events and pending deliveries. */
export type RoutePlan =
  | { status: typeof MessageStatus.routed; events: CanonicalEvent[]; deliveries: Record<string, DeliveryRecord> }
  | { status: typeof MessageStatus.filtered; events: CanonicalEvent[]; deliveries: Record<string, never>; reason: string }
  | { status: typeof MessageStatus.errored; error: SwitchboardError };

/** A message as a delivery reads it (`MessageStore.getForDelivery`): the stored record opened, without `raw`. */
export type DeliverableRecord = Omit<MessageRecord, 'raw'>;

/** What a replay selects: message ids or a filter, and which deliveries of them. */
export interface ReplaySelection {
  messageIds?: string[];
  channel?: string;
  destination?: string;
  errorCode?: ErrorCode;
  /** Received at or after / at or before (ISO 8601). */
  from?: string;
  to?: string;
  /** Deliveries in this status are replayed; default `dead`. */
  status?: ReplayableStatus;
}

/**
 * One replay in the `replays` collection: who, when, why, what was selected, and how far it got.
 * A real replay runs in the background (see Replayer); `heartbeatAt` tells a live run from one whose
 * process died, which another process then resumes.
 */
export interface ReplayRecord {
  _id: string;
  at: Date;
  requestedBy: string;
  reason: string;
  dryRun: boolean;
  selection: ReplaySelection;
  state: ReplayState;
  /** Deliveries selected, set back to pending, refused by the current transforms, and changed meanwhile (no longer in the status). */
  progress: { selected: number; replayed: number; refused: number; skipped: number };
  heartbeatAt: Date;
  finishedAt?: Date;
  /** (message, destination) pairs set back to pending, with the key they are sent under. */
  deliveries: { messageId: string; destinationId: string; idempotencyKey: string; transformVersions: string[] }[];
  /** Messages the current transforms refuse (the first 100): not replayed; re-route them after a fix. */
  refused: { messageId: string; reason: string }[];
}
