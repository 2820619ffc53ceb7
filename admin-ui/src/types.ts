import type { DeliveryAttempt, MessageSummary } from '../../engine/store/message-record.ts';
import type { AckOutcome, DeliveryStatus, MessageStatus, ReplayableStatus } from '../../engine/store/states.ts';
import type { MetricsSummary } from '../../engine/metrics/dashboard-summary.ts';

/**
 * Shapes of the admin API's answers that the console reads (see engine/http/*.routes.ts). Statuses
 * and the message summary are the engine's own types (type-only imports: nothing of the engine is bundled).
 */
export type { MessageSummary, MetricsSummary, ReplayableStatus };

export interface Attempt {
  at: string;
  attempt: number;
  outcome: DeliveryAttempt['outcome'];
  errorCode?: string;
  error?: string;
  response?: string;
  durationMs: number;
  replayId?: string;
}

export interface Delivery {
  destinationId: string;
  status: DeliveryStatus;
  attempts: Attempt[];
  lastError?: { code: string; detail: string; response?: string };
  peerDocumentIds?: string[];
  deliveredAt?: string;
}

export interface MessageListItem {
  _id: string;
  channelId: string;
  format: 'hl7v2' | 'fhir';
  receivedAt: string;
  status: MessageStatus;
  summary?: MessageSummary;
}

export interface Message extends MessageListItem {
  raw: string;
  masked: boolean;
  error?: { code: string; detail: string };
  filteredReason?: string;
  canonical?: { events: { model: string; modelVersion: number; transformId: string; transformVersion: number; event: unknown }[] };
  deliveries: Record<string, Delivery>;
  ack: { code: AckOutcome; text?: string; message?: string; sentAt: string };
  /** A correction (edit and resend): the message it corrects. */
  correctionOf?: string;
  /** The corrections made of this message. */
  corrections?: string[];
}

export interface Channel {
  id: string;
  description?: string;
  destinations: { id: string; kind: string }[];
  /** Values read out of each message at intake, searchable by the messages page (engine/channels/search-fields.ts). */
  searchFields?: { name: string; hl7?: string; fhirpath?: string }[];
}

/** Every message status, in the order the search offers them (a record, so the compiler finds one missing or unknown). */
const STATUSES: Record<MessageStatus, true> = {
  received: true,
  routed: true,
  delivered: true,
  'partially-delivered': true,
  dead: true,
  errored: true,
  rejected: true,
  filtered: true,
};
export const MESSAGE_STATUSES = Object.keys(STATUSES) as MessageStatus[];
