import type { Dispatcher } from 'undici';
import { SwitchboardError } from '../../engine/errors.ts';

/**
 * A request failure before any answer (fetch, or undici's Dispatcher.request). Refused or unresolvable: nothing was sent (not connected).
 * Our timeout or the engine's abort: the request may have reached the peer (ambiguous).
 */
export function classifyNetworkError(err: unknown, timedOut: boolean): SwitchboardError {
  if (timedOut) return new SwitchboardError('PEER_TIMEOUT', 'no answer from the peer in time', { cause: err });
  const cause = (err as { cause?: { code?: string } }).cause;
  const code = cause?.code ?? (err as { code?: string }).code ?? '';
  if (isTlsFailure(code)) return new SwitchboardError('PEER_TLS_FAILED', `TLS handshake failed (${code})`, { cause: err });
  if (['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH'].includes(code)) {
    return new SwitchboardError('PEER_NOT_CONNECTED', `cannot connect to the peer (${code})`, { cause: err });
  }
  if ((err as Error).name === 'AbortError')
    return new SwitchboardError('PEER_CONNECTION_LOST', 'request aborted by the engine', { cause: err });
  return new SwitchboardError('PEER_CONNECTION_LOST', `connection to the peer lost (${code || (err as Error).name})`, { cause: err });
}

/**
 * OpenSSL and Node codes of a handshake that failed: the peer's certificate is not trusted or does
 * not match, or the peer refused ours. The request was never processed by the peer.
 */
const TLS_CERT_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function isTlsFailure(code: string): boolean {
  return TLS_CERT_CODES.has(code) || code.startsWith('ERR_SSL_');
}

/** A 2xx answer: the request was taken (undici's request, unlike fetch, has no `ok`). */
export function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

/** One response header's value (the first, when repeated); null when absent. */
export function headerValue(response: Pick<Dispatcher.ResponseData, 'headers'>, name: string): string | null {
  return firstValue(response.headers[name]);
}

function firstValue(v: string | string[] | undefined): string | null {
  return (Array.isArray(v) ? v[0] : v) ?? null;
}
