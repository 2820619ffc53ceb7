import test from 'ava';
import { classifyHttpAnswer } from '../../engine/peer-answer.ts';

const answer = (status: number, headers: Record<string, string | string[]> = {}) =>
  classifyHttpAnswer(status, headers, { peer: 'the peer', peerResponse: `${status} body` });

test('503 and other 5xx are transient and carry Retry-After (seconds or an HTTP date)', (t) => {
  const e = answer(503, { 'retry-after': '7' });
  t.deepEqual([e.code, e.failureClass, e.retryAfterMs], ['PEER_UNAVAILABLE', 'transient', 7000]);
  t.deepEqual([e.message, e.peerResponse], ['the peer answered 503', '503 body']);
  t.true((answer(500, { 'retry-after': new Date(Date.now() + 5000).toUTCString() }).retryAfterMs ?? 0) > 3000);
  t.is(answer(502).retryAfterMs, undefined);
  t.is(answer(503, { 'retry-after': ['2', '9'] }).retryAfterMs, 2000);
});

test('429 is rate-limited with Retry-After, a 0 kept', (t) => {
  const e = answer(429, { 'retry-after': '3' });
  t.deepEqual([e.code, e.failureClass, e.retryAfterMs], ['PEER_RATE_LIMITED', 'transient', 3000]);
  t.is(answer(429, { 'retry-after': '0' }).retryAfterMs, 0);
  t.is(answer(429).retryAfterMs, undefined);
});

test('408 is ambiguous; other 4xx and 3xx are permanent and ignore Retry-After', (t) => {
  t.deepEqual([answer(408).code, answer(408).failureClass], ['PEER_TIMEOUT', 'ambiguous']);
  for (const status of [400, 401, 404, 409, 422, 301, 302]) {
    const e = answer(status, { 'retry-after': '5' });
    t.deepEqual([e.code, e.failureClass, e.retryAfterMs], ['PEER_REJECTED', 'permanent', undefined], String(status));
  }
});
