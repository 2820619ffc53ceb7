/**
 * The error catalog: every failure Switchboard classifies carries a stable code from this table.
 * Retry logic, ACK building and API answers read `code` and `failureClass`, never message text.
 *
 * Failure classes (Temporal/BullMQ style):
 * - `transient`: try again later, the same request may succeed (peer 5xx, timeout before sending).
 * - `ambiguous`: the request may have reached the peer; retry only when the peer de-duplicates.
 * - `permanent`: the same request will fail again (peer 4xx, invalid input); dead-letter it.
 * - `not-connected`: nothing was sent; retry without spending an attempt.
 */
export const FailureClass = {
  transient: 'transient',
  ambiguous: 'ambiguous',
  permanent: 'permanent',
  notConnected: 'not-connected',
} as const;
export type FailureClass = (typeof FailureClass)[keyof typeof FailureClass];

/** Stable codes. `text` is safe to send to the edge that caused the failure (no PHI, no internals). */
export const ErrorCatalog = {
  HL7_PARSE: { failureClass: 'permanent', text: 'Message could not be parsed as HL7v2' },
  HL7_NO_CONTROL_ID: { failureClass: 'permanent', text: 'MSH-10 (message control id) is empty' },
  HL7_TYPE_NOT_ACCEPTED: { failureClass: 'permanent', text: 'Message type is not accepted by this channel' },
  MLLP_FRAME_TOO_LARGE: { failureClass: 'permanent', text: 'MLLP frame exceeds the maximum size' },
  STORE_UNAVAILABLE: { failureClass: 'transient', text: 'Message store unavailable; resend later' },
  QUEUE_UNAVAILABLE: { failureClass: 'transient', text: 'Queue unavailable' },
  TRANSFORM_FAILED: { failureClass: 'permanent', text: 'Transform failed' },
  CANONICAL_INVALID: { failureClass: 'permanent', text: 'Canonical event failed validation' },
  PEER_UNAVAILABLE: { failureClass: 'transient', text: 'Destination answered that it is unavailable' },
  PEER_REJECTED: { failureClass: 'permanent', text: 'Destination rejected the payload' },
  PEER_TIMEOUT: { failureClass: 'ambiguous', text: 'Destination did not answer in time' },
  PEER_CONNECTION_LOST: { failureClass: 'ambiguous', text: 'Connection lost while the request was in flight' },
  PEER_NOT_CONNECTED: { failureClass: 'not-connected', text: 'Destination could not be reached' },
  PEER_TLS_FAILED: { failureClass: 'not-connected', text: 'TLS handshake with the destination failed' },
  PEER_RATE_LIMITED: { failureClass: 'transient', text: 'Destination asked to slow down' },
  CONFIG_INVALID: { failureClass: 'permanent', text: 'Configuration is invalid' },
  NOT_FOUND: { failureClass: 'permanent', text: 'Not found' },
  BAD_REQUEST: { failureClass: 'permanent', text: 'Bad request' },
  CONFLICT: { failureClass: 'permanent', text: 'The resource is not in a state that allows this' },
  AUTH_REQUIRED: { failureClass: 'permanent', text: 'Sign in first' },
  FORBIDDEN: { failureClass: 'permanent', text: 'Not allowed for this user' },
  TOO_MANY_REQUESTS: { failureClass: 'transient', text: 'Too many requests; try again later' },
  PAYLOAD_TOO_LARGE: { failureClass: 'permanent', text: 'Request body too large' },
  INTERNAL: { failureClass: 'transient', text: 'Internal error' },
} as const satisfies Record<string, { failureClass: FailureClass; text: string }>;
export type ErrorCode = keyof typeof ErrorCatalog;

/**
 * A failure classified where it happened. `detail` may name fields and paths but never carries
 * message content or patient data: it is logged and stored, and the `publicText` alone goes to peers.
 */
export class SwitchboardError extends Error {
  readonly code: ErrorCode;
  readonly failureClass: FailureClass;
  /** Peer's answer summary (status, body excerpt) when a destination rejected us; stored, not logged. */
  readonly peerResponse: string | undefined;
  /** Milliseconds the peer asked us to wait (429/503 Retry-After). */
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, detail?: string, options?: { cause?: unknown; peerResponse?: string; retryAfterMs?: number }) {
    super(detail ?? ErrorCatalog[code].text, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SwitchboardError';
    this.code = code;
    this.failureClass = ErrorCatalog[code].failureClass;
    this.peerResponse = options?.peerResponse;
    this.retryAfterMs = options?.retryAfterMs;
  }

  get publicText(): string {
    return ErrorCatalog[this.code].text;
  }
}

/** Turns anything thrown into a classified error; unknown errors become INTERNAL without their text. */
export function toSwitchboardError(err: unknown): SwitchboardError {
  if (err instanceof SwitchboardError) return err;
  return new SwitchboardError('INTERNAL', err instanceof Error ? err.name : 'non-error thrown', { cause: err });
}
