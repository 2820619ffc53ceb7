import type { MessageRecord } from './message-record.ts';
import { MessageStatus } from './states.ts';

/**
 * The fields of a message that change after intake: its status and what routing and delivery made
 * of it, with the search fields that follow from them. They live in the `message_states`
 * collection, one small document per message under the message's `_id`, so that a delivery's write
 * rewrites a few hundred bytes, not the message (FerretDB 1.24 stores a document as one JSONB value
 * and rewrites it whole on every update; docs/performance.md). The `messages` document (raw,
 * canonical events, summary, ACK, search keys) is written once and changed only by a re-route, a
 * replay's new events and key rotation, never on the hot path.
 */
export const STATE_FIELDS = [
  'status',
  'unsettled',
  'deliveries',
  'destinationIds',
  'orderKeys',
  'replayIds',
  'errorCodes',
  'error',
  'filteredReason',
  'staged',
  'corrections',
  'updatedAt',
] as const satisfies readonly (keyof MessageRecord)[];
type StateField = (typeof STATE_FIELDS)[number];

/** Copied into the state from the message, for the queries that read states only (counts by minute and channel, relay, key rotation). */
const COPIED_FIELDS = [
  'channelId',
  'receivedAt',
  'receivedMinute',
  'receivedDay',
  'kid',
] as const satisfies readonly (keyof MessageRecord)[];
type CopiedField = (typeof COPIED_FIELDS)[number];

/** One document of `message_states`: the mutable part of message `_id` (see STATE_FIELDS). */
export type MessageState = Pick<MessageRecord, '_id' | StateField | CopiedField>;

/** One document of `messages`: everything of a message that intake writes once. */
export type MessageContent = Omit<MessageRecord, StateField>;

const isStateField = (key: string): key is StateField => (STATE_FIELDS as readonly string[]).includes(key);

/** A record as stored (sealed, with its search fields) cut into its two documents. */
export function splitRecord(record: MessageRecord): { content: MessageContent; state: MessageState } {
  const content: Record<string, unknown> = {};
  const state: Record<string, unknown> = { _id: record._id };
  for (const [key, value] of Object.entries(record)) {
    if (value === undefined) continue;
    if (isStateField(key)) state[key] = value;
    else content[key] = value;
  }
  for (const key of COPIED_FIELDS) if (record[key] !== undefined) state[key] = record[key];
  return { content: content as MessageContent, state: state as MessageState };
}

/** A message as the engine reads it: its content with its state over it. */
export function mergeRecord<C extends Partial<MessageContent>>(content: C, state: Partial<MessageState>): C & MessageState {
  return { ...content, ...state } as C & MessageState;
}

/** `$unset` of every state field, for a legacy document once its state has its own document. */
export const UNSET_STATE_FIELDS = Object.fromEntries(STATE_FIELDS.map((f) => [f, ''])) as Record<StateField, ''>;

/**
 * The state given to a stored message found without one: intake writes the two documents side by
 * side and a failure between them (the sender was then not acknowledged) can leave the message
 * alone. `received` with no deliveries: the relay has the route worker route it again from its
 * stored content, as after a re-route. Written when the sender's resend meets the message.
 */
export function repairedState(content: MessageContent): MessageState {
  const state: MessageState = {
    _id: content._id,
    channelId: content.channelId,
    receivedAt: content.receivedAt,
    status: MessageStatus.received,
    unsettled: true,
    deliveries: {},
    updatedAt: new Date(),
  };
  if (content.receivedMinute) state.receivedMinute = content.receivedMinute;
  if (content.receivedDay) state.receivedDay = content.receivedDay;
  if (content.kid) state.kid = content.kid;
  return state;
}
