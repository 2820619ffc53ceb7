/**
 * The three state machines of a message, kept apart on purpose: what we answered the sender
 * (AckOutcome) is not what happened downstream (MessageStatus, DeliveryStatus).
 */

/** received → routed → (delivered | partially-delivered | dead); or errored, rejected, filtered. */
export const MessageStatus = {
  received: 'received',
  routed: 'routed',
  delivered: 'delivered',
  partiallyDelivered: 'partially-delivered',
  dead: 'dead',
  errored: 'errored',
  rejected: 'rejected',
  filtered: 'filtered',
} as const;
export type MessageStatus = (typeof MessageStatus)[keyof typeof MessageStatus];

/** pending → (delivered | retrying → … | dead). */
export const DeliveryStatus = {
  pending: 'pending',
  retrying: 'retrying',
  delivered: 'delivered',
  dead: 'dead',
} as const;
export type DeliveryStatus = (typeof DeliveryStatus)[keyof typeof DeliveryStatus];

/** A delivery that failed: out of attempts (`dead`) or waiting for its next one (`retrying`). */
export type FailedDeliveryStatus = typeof DeliveryStatus.dead | typeof DeliveryStatus.retrying;

/**
 * What a replay sends again: `dead` deliveries (with their idempotency key, so a peer that did take
 * an ambiguous attempt de-duplicates it), or `delivered` ones, sent again on purpose under a new key.
 */
export const ReplayableStatus = { dead: 'dead', delivered: 'delivered' } as const;
export type ReplayableStatus = (typeof ReplayableStatus)[keyof typeof ReplayableStatus];

/** running → done; a replay whose process died stays running until another process resumes it. */
export const ReplayState = { running: 'running', done: 'done' } as const;
export type ReplayState = (typeof ReplayState)[keyof typeof ReplayState];

/** What the sender was told. `none`: the connection closed before an answer could be sent. */
export const AckOutcome = { AA: 'AA', AE: 'AE', AR: 'AR', CA: 'CA', CE: 'CE', CR: 'CR', none: 'none' } as const;
export type AckOutcome = (typeof AckOutcome)[keyof typeof AckOutcome];

export function isTerminalDelivery(status: DeliveryStatus): boolean {
  switch (status) {
    case 'delivered':
    case 'dead':
      return true;
    case 'pending':
    case 'retrying':
      return false;
    default:
      return status satisfies never;
  }
}

/**
 * Whether a message in this status still has work to do (routing, or a delivery not yet settled):
 * such a message carries `unsettled: true`, which the relay's query names (see MessageRecord).
 */
export function isUnsettledStatus(status: MessageStatus): boolean {
  switch (status) {
    case 'received':
    case 'routed':
      return true;
    case 'delivered':
    case 'partially-delivered':
    case 'dead':
    case 'errored':
    case 'rejected':
    case 'filtered':
      return false;
    default:
      return status satisfies never;
  }
}

/** The message status that follows from its deliveries once none is pending or retrying. */
export function settledMessageStatus(statuses: readonly DeliveryStatus[]): MessageStatus {
  if (statuses.some((s) => !isTerminalDelivery(s))) return MessageStatus.routed;
  const delivered = statuses.filter((s) => s === 'delivered').length;
  if (delivered === statuses.length) return MessageStatus.delivered;
  return delivered === 0 ? MessageStatus.dead : MessageStatus.partiallyDelivered;
}
