/** Shapes of the admin API's answers that the console reads (see engine/http/*.routes.ts). */
export interface MessageSummary {
  messageType: string;
  triggerEvent: string;
  controlId: string;
  sendingApplication: string;
  sendingFacility: string;
  mrn: string;
}

export interface Attempt {
  at: string;
  attempt: number;
  outcome: string;
  errorCode?: string;
  error?: string;
  response?: string;
  durationMs: number;
  replayId?: string;
}

export interface Delivery {
  destinationId: string;
  status: string;
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
  status: string;
  summary?: MessageSummary;
}

export interface Message extends MessageListItem {
  raw: string;
  masked: boolean;
  error?: { code: string; detail: string };
  filteredReason?: string;
  canonical?: { events: { model: string; modelVersion: number; transformId: string; transformVersion: number; event: unknown }[] };
  deliveries: Record<string, Delivery>;
  ack: { code: string; text?: string; message?: string; sentAt: string };
}

export interface Channel {
  id: string;
  description?: string;
  destinations: { id: string; kind: string }[];
}

export const MESSAGE_STATUSES = ['received', 'routed', 'delivered', 'partially-delivered', 'dead', 'errored', 'rejected', 'filtered'] as const;
