import { SwitchboardError } from './errors.ts';

/*
 * How a peer's HTTP answer is classified (the error catalog's codes), for connectors/ (every HTTP
 * destination) and the engine's own HTTP peers (engine/ops/alerts' webhook): the engine may not
 * import a connector, so the one classification lives here.
 */

/** Response headers as undici and Node give them (lower-case names; a repeated header as an array). */
export type PeerHeaders = Record<string, string | string[] | undefined>;

/**
 * The one classification of a peer's non-2xx HTTP answer, for every HTTP destination and the alerts' webhook: 429
 * PEER_RATE_LIMITED and 5xx PEER_UNAVAILABLE (transient), both with the peer's Retry-After when it
 * sent one; 408 PEER_TIMEOUT (ambiguous); any other status PEER_REJECTED (permanent). The detail is
 * `<peer> answered <status>`; `peerResponse` (status and body excerpt) is kept on the error, stored, not logged.
 */
export function classifyHttpAnswer(status: number, headers: PeerHeaders, o: { peer: string; peerResponse: string }): SwitchboardError {
  const detail = `${o.peer} answered ${status}`;
  const peerResponse = o.peerResponse;
  if (status === 408) return new SwitchboardError('PEER_TIMEOUT', detail, { peerResponse });
  if (status !== 429 && status < 500) return new SwitchboardError('PEER_REJECTED', detail, { peerResponse });
  const retryAfterMs = parseRetryAfter(firstHeader(headers['retry-after']));
  const options = { peerResponse, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  return new SwitchboardError(status === 429 ? 'PEER_RATE_LIMITED' : 'PEER_UNAVAILABLE', detail, options);
}

/** Retry-After in seconds or as an HTTP date (RFC 9110 §10.2.3), in milliseconds. */
export function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function firstHeader(v: string | string[] | undefined): string | null {
  return (Array.isArray(v) ? v[0] : v) ?? null;
}
