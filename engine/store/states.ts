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

/** The message status that follows from its deliveries once none is pending or retrying. */
export function settledMessageStatus(statuses: readonly DeliveryStatus[]): MessageStatus {
  if (statuses.some((s) => !isTerminalDelivery(s))) return MessageStatus.routed;
  const delivered = statuses.filter((s) => s === 'delivered').length;
  if (delivered === statuses.length) return MessageStatus.delivered;
  return delivered === 0 ? MessageStatus.dead : MessageStatus.partiallyDelivered;
}
