import { createHmac, timingSafeEqual } from 'node:crypto';

/** Headers of a webhook notification (lower case, as Node reads them). */
export const SIGNATURE_HEADER = 'x-switchboard-signature';
export const TIMESTAMP_HEADER = 'x-switchboard-timestamp';
/** The notification's id: the same on every retry of it, so a receiver can drop a repeat. */
export const NOTIFICATION_ID_HEADER = 'x-switchboard-notification-id';

/**
 * `sha256=<hex>`: HMAC-SHA256 with `secret` over `<timestamp>.<body>` (the body's bytes as sent,
 * the timestamp in Unix seconds as in its header). Binding the timestamp lets a receiver refuse a
 * captured request replayed later.
 */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * What a receiver does (and the tests): true when `signature` is the body's signature under
 * `secret` at `timestamp`, and `timestamp` is within `toleranceSeconds` (default 300) of `nowSeconds`.
 * Compared in constant time.
 */
export function verifyWebhook(o: {
  secret: string;
  body: string;
  timestamp: string | undefined;
  signature: string | undefined;
  nowSeconds?: number;
  toleranceSeconds?: number;
}): boolean {
  if (!o.timestamp || !o.signature || !/^\d{1,12}$/.test(o.timestamp)) return false;
  const ts = Number(o.timestamp);
  const now = o.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - ts) > (o.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signWebhook(o.secret, ts, o.body));
  const given = Buffer.from(o.signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
