import {
  MongoClientClosedError,
  MongoError,
  MongoErrorLabel,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoOperationTimeoutError,
  MongoServerClosedError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from 'mongodb';

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

/** HL7 v2.5 table 0357 (message error condition codes): what ERR-3 of a NAK may say. */
export type Hl7ErrorCode = '100' | '101' | '102' | '103' | '200' | '201' | '202' | '203' | '204' | '205' | '206' | '207';

/** One failure the catalog knows, with what each edge says about it. */
export interface CatalogEntry {
  /** Whether and how the retry policy tries again. */
  failureClass: FailureClass;
  /** The status an HTTP edge answers with (the admin API's problem documents): 400–599; 502/504 for a peer's failure, as a gateway. */
  httpStatus: number;
  /** ERR-3 of a NAK sent for it (table 0357); a parse error may name a more precise one itself. */
  hl7ErrorCode: Hl7ErrorCode;
  /** Safe to send to the edge that caused the failure (no PHI, no internals). */
  text: string;
}

/**
 * Stable codes, each with its failure class, HTTP status, HL7 ERR-3 code and public text. The edges
 * read these (problem.ts, intake's NAKs, the MLLP source): no other table of statuses or ERR-3 codes.
 */
export const ErrorCatalog = {
  HL7_PARSE: { failureClass: 'permanent', httpStatus: 400, hl7ErrorCode: '100', text: 'Message could not be parsed as HL7v2' },
  HL7_NO_CONTROL_ID: { failureClass: 'permanent', httpStatus: 400, hl7ErrorCode: '101', text: 'MSH-10 (message control id) is empty' },
  HL7_TYPE_NOT_ACCEPTED: {
    failureClass: 'permanent',
    httpStatus: 400,
    hl7ErrorCode: '200',
    text: 'Message type is not accepted by this channel',
  },
  HL7_CHARSET_INVALID: {
    failureClass: 'permanent',
    httpStatus: 400,
    hl7ErrorCode: '102',
    text: 'Message bytes are not valid in its character set (MSH-18 or the channel default)',
  },
  MLLP_FRAME_TOO_LARGE: { failureClass: 'permanent', httpStatus: 413, hl7ErrorCode: '207', text: 'MLLP frame exceeds the maximum size' },
  STORE_UNAVAILABLE: { failureClass: 'transient', httpStatus: 503, hl7ErrorCode: '207', text: 'Message store unavailable; resend later' },
  QUEUE_UNAVAILABLE: { failureClass: 'transient', httpStatus: 503, hl7ErrorCode: '207', text: 'Queue unavailable' },
  TRANSFORM_FAILED: { failureClass: 'permanent', httpStatus: 422, hl7ErrorCode: '207', text: 'Transform failed' },
  CANONICAL_INVALID: { failureClass: 'permanent', httpStatus: 422, hl7ErrorCode: '207', text: 'Canonical event failed validation' },
  /** A message making more canonical events than its channel's maxEventsPerMessage: refused whole (AR). */
  MESSAGE_TOO_MANY_EVENTS: {
    failureClass: 'permanent',
    httpStatus: 422,
    hl7ErrorCode: '207',
    text: 'Message makes more events than the channel accepts per message',
  },
  /** MSH-10 already used by a stored message with different content (not a resend): AE, stored as rejected. */
  HL7_CONTROL_ID_CONFLICT: {
    failureClass: 'permanent',
    httpStatus: 409,
    hl7ErrorCode: '205',
    text: 'Message control id (MSH-10) already used for a message with different content',
  },
  PEER_UNAVAILABLE: {
    failureClass: 'transient',
    httpStatus: 502,
    hl7ErrorCode: '207',
    text: 'Destination answered that it is unavailable',
  },
  PEER_REJECTED: { failureClass: 'permanent', httpStatus: 502, hl7ErrorCode: '207', text: 'Destination rejected the payload' },
  PEER_TIMEOUT: { failureClass: 'ambiguous', httpStatus: 504, hl7ErrorCode: '207', text: 'Destination did not answer in time' },
  PEER_CONNECTION_LOST: {
    failureClass: 'ambiguous',
    httpStatus: 502,
    hl7ErrorCode: '207',
    text: 'Connection lost while the request was in flight',
  },
  PEER_NOT_CONNECTED: { failureClass: 'not-connected', httpStatus: 502, hl7ErrorCode: '207', text: 'Destination could not be reached' },
  PEER_TLS_FAILED: {
    failureClass: 'not-connected',
    httpStatus: 502,
    hl7ErrorCode: '207',
    text: 'TLS handshake with the destination failed',
  },
  /** An HTTP lookup (GET) answered 404: the peer has no such resource; asking again finds none. */
  PEER_NOT_FOUND: { failureClass: 'permanent', httpStatus: 502, hl7ErrorCode: '207', text: 'Destination has no such resource' },
  PEER_RATE_LIMITED: { failureClass: 'transient', httpStatus: 503, hl7ErrorCode: '207', text: 'Destination asked to slow down' },
  CONFIG_INVALID: { failureClass: 'permanent', httpStatus: 400, hl7ErrorCode: '207', text: 'Configuration is invalid' },
  NOT_FOUND: { failureClass: 'permanent', httpStatus: 404, hl7ErrorCode: '204', text: 'Not found' },
  BAD_REQUEST: { failureClass: 'permanent', httpStatus: 400, hl7ErrorCode: '207', text: 'Bad request' },
  CONFLICT: { failureClass: 'permanent', httpStatus: 409, hl7ErrorCode: '207', text: 'The resource is not in a state that allows this' },
  AUTH_REQUIRED: { failureClass: 'permanent', httpStatus: 401, hl7ErrorCode: '207', text: 'Sign in first' },
  FORBIDDEN: { failureClass: 'permanent', httpStatus: 403, hl7ErrorCode: '207', text: 'Not allowed for this user' },
  TOO_MANY_REQUESTS: { failureClass: 'transient', httpStatus: 429, hl7ErrorCode: '207', text: 'Too many requests; try again later' },
  PAYLOAD_TOO_LARGE: { failureClass: 'permanent', httpStatus: 413, hl7ErrorCode: '207', text: 'Request body too large' },
  /** An archive file or manifest of the pruner (engine/ops/retention) that does not read, or not as its manifest says (altered). */
  ARCHIVE_INVALID: { failureClass: 'permanent', httpStatus: 422, hl7ErrorCode: '207', text: 'Archive file is not valid' },
  /** Anything not classified where it happened: a defect, which the same request meets again. */
  INTERNAL: { failureClass: 'permanent', httpStatus: 500, hl7ErrorCode: '207', text: 'Internal error' },
} as const satisfies Record<string, CatalogEntry>;
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

  /** The catalog's HTTP status of this code. */
  get httpStatus(): number {
    return ErrorCatalog[this.code].httpStatus;
  }

  /** The catalog's ERR-3 (table 0357) of this code. */
  get hl7ErrorCode(): Hl7ErrorCode {
    return ErrorCatalog[this.code].hl7ErrorCode;
  }

  /**
   * What the sender of the message may be told (MSA-3, ERR-8): the detail of a failure classified
   * where it happened (a transform names its field), but only the catalog's text for `INTERNAL`,
   * whose detail is the name of an exception nobody classified.
   */
  get senderText(): string {
    return this.code === 'INTERNAL' ? this.publicText : this.message;
  }
}

/**
 * Turns anything thrown into a classified error: a SwitchboardError as it is; an error of a layer
 * that does not import the engine (the HL7v2 codec's Hl7ParseError, the transforms' FieldValueError
 * and TransformError) that names a catalog code in `catalogCode`, as that code with its message
 * (which names fields and paths, never values) as detail; a MongoDB driver error
 * of a store that is unreachable, closed or asks for a retry (by class and error label) becomes
 * STORE_UNAVAILABLE (transient); anything else is a defect and becomes INTERNAL (permanent), with
 * the error's class name as its detail, never its text.
 */
export function toSwitchboardError(err: unknown): SwitchboardError {
  if (err instanceof SwitchboardError) return err;
  const named = namedCode(err);
  if (named) return new SwitchboardError(named, (err as Error).message, { cause: err });
  const store = causes(err).find(isStoreOutage);
  if (store) return new SwitchboardError('STORE_UNAVAILABLE', (store as Error).name, { cause: err });
  return new SwitchboardError('INTERNAL', err instanceof Error ? err.name : 'non-error thrown', { cause: err });
}

/**
 * A failure met while sending to a destination (delivery worker, around connect and send).
 * Connectors classify their own failures; what escapes them unclassified is classified here by
 * the Node or undici error code on the error or its causes (fetch wraps them in a TypeError):
 * a connection never made is PEER_NOT_CONNECTED, a timeout PEER_TIMEOUT, a connection lost or
 * aborted with the request in flight PEER_CONNECTION_LOST. A store outage and everything else as
 * toSwitchboardError.
 */
export function toDeliveryFailure(err: unknown): SwitchboardError {
  if (err instanceof SwitchboardError || causes(err).some(isStoreOutage)) return toSwitchboardError(err);
  for (const e of causes(err)) {
    const code = (e as { code?: unknown }).code;
    const failure = typeof code === 'string' ? NETWORK_CODES[code] : abortFailure(e);
    if (failure)
      return new SwitchboardError(failure, `${(e as Error).name} ${typeof code === 'string' ? code : ''}`.trim(), { cause: err });
  }
  return toSwitchboardError(err);
}

/** The catalog code an error of a layer below the engine names itself (`catalogCode`), if any. */
function namedCode(err: unknown): ErrorCode | undefined {
  const code = err instanceof Error ? (err as { catalogCode?: unknown }).catalogCode : undefined;
  return typeof code === 'string' && Object.hasOwn(ErrorCatalog, code) ? (code as ErrorCode) : undefined;
}

/** Node and undici codes of a network failure, by what the peer may have received. */
const NETWORK_CODES: Readonly<Record<string, ErrorCode>> = {
  ECONNREFUSED: 'PEER_NOT_CONNECTED',
  ENOTFOUND: 'PEER_NOT_CONNECTED',
  EAI_AGAIN: 'PEER_NOT_CONNECTED',
  EHOSTUNREACH: 'PEER_NOT_CONNECTED',
  ENETUNREACH: 'PEER_NOT_CONNECTED',
  ENETDOWN: 'PEER_NOT_CONNECTED',
  EHOSTDOWN: 'PEER_NOT_CONNECTED',
  EADDRNOTAVAIL: 'PEER_NOT_CONNECTED',
  EPROTO: 'PEER_TLS_FAILED',
  UND_ERR_CONNECT_TIMEOUT: 'PEER_NOT_CONNECTED',
  ETIMEDOUT: 'PEER_TIMEOUT',
  UND_ERR_HEADERS_TIMEOUT: 'PEER_TIMEOUT',
  UND_ERR_BODY_TIMEOUT: 'PEER_TIMEOUT',
  ECONNRESET: 'PEER_CONNECTION_LOST',
  ECONNABORTED: 'PEER_CONNECTION_LOST',
  EPIPE: 'PEER_CONNECTION_LOST',
  ERR_SOCKET_CLOSED: 'PEER_CONNECTION_LOST',
  ERR_STREAM_PREMATURE_CLOSE: 'PEER_CONNECTION_LOST',
  UND_ERR_SOCKET: 'PEER_CONNECTION_LOST',
  UND_ERR_CLOSED: 'PEER_CONNECTION_LOST',
  UND_ERR_ABORTED: 'PEER_CONNECTION_LOST',
};

/** Driver labels of an operation the server or the driver itself says may succeed if tried again. */
const RETRYABLE_LABELS = [
  MongoErrorLabel.RetryableWriteError,
  MongoErrorLabel.TransientTransactionError,
  MongoErrorLabel.ResetPool,
  MongoErrorLabel.PoolRequestedRetry,
  MongoErrorLabel.InterruptInUseConnections,
  MongoErrorLabel.RetryableError,
  MongoErrorLabel.SystemOverloadedError,
] as const;

/**
 * A MongoDB driver error of a store that cannot be reached now: network errors and timeouts (pool
 * cleared included), no server selectable, a client or topology closed (a process stopping), an
 * operation past its timeout, or any error carrying a retryable label.
 */
function isStoreOutage(err: unknown): boolean {
  if (!(err instanceof MongoError)) return false;
  if (
    err instanceof MongoNetworkError ||
    err instanceof MongoServerSelectionError ||
    err instanceof MongoTopologyClosedError ||
    err instanceof MongoClientClosedError ||
    err instanceof MongoNotConnectedError ||
    err instanceof MongoServerClosedError ||
    err instanceof MongoOperationTimeoutError
  ) {
    return true;
  }
  return RETRYABLE_LABELS.some((label) => err.hasErrorLabel(label));
}

/** An AbortSignal's DOMException: the engine's own abort (shutdown) or a signal's timeout, the request maybe in flight. */
function abortFailure(err: unknown): ErrorCode | undefined {
  if (!(err instanceof DOMException)) return undefined;
  return err.name === 'TimeoutError' ? 'PEER_TIMEOUT' : err.name === 'AbortError' ? 'PEER_CONNECTION_LOST' : undefined;
}

/** The error and its causes, outermost first (at most 5 deep). */
function causes(err: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = err; e !== undefined && e !== null && chain.length < 5; e = (e as { cause?: unknown }).cause) chain.push(e);
  return chain;
}
