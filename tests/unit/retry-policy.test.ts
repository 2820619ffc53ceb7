import test from 'ava';
import { decideRetry } from '../../engine/retry-policy.ts';

const policy = { attempts: 3, initialDelayMs: 100, maxDelayMs: 1000 };

test('transient failures back off exponentially until attempts are spent', (t) => {
  t.deepEqual(decideRetry({ policy, failureClass: 'transient', attempt: 1, idempotent: true, random: 0.5 }), { retry: true, delayMs: 100 });
  t.deepEqual(decideRetry({ policy, failureClass: 'transient', attempt: 2, idempotent: true, random: 0.5 }), { retry: true, delayMs: 200 });
  t.deepEqual(decideRetry({ policy, failureClass: 'transient', attempt: 3, idempotent: true, random: 0.5 }), { retry: false, reason: 'exhausted' });
});

test('jitter stays within ±20% and the delay is capped', (t) => {
  const big = { attempts: 50, initialDelayMs: 100, maxDelayMs: 1000 };
  t.deepEqual(decideRetry({ policy: big, failureClass: 'transient', attempt: 20, idempotent: true, random: 0 }), { retry: true, delayMs: 800 });
  t.deepEqual(decideRetry({ policy: big, failureClass: 'transient', attempt: 20, idempotent: true, random: 0.999999 }), { retry: true, delayMs: 1200 });
});

test('permanent failures are never retried', (t) => {
  t.deepEqual(decideRetry({ policy, failureClass: 'permanent', attempt: 1, idempotent: true }), { retry: false, reason: 'permanent' });
});

test('ambiguous failures are retried only for idempotent connectors', (t) => {
  t.true(decideRetry({ policy, failureClass: 'ambiguous', attempt: 1, idempotent: true }).retry);
  t.deepEqual(decideRetry({ policy, failureClass: 'ambiguous', attempt: 1, idempotent: false }), { retry: false, reason: 'ambiguous-not-idempotent' });
});

test('not-connected failures do not spend attempts', (t) => {
  t.true(decideRetry({ policy, failureClass: 'not-connected', attempt: 99, idempotent: false, random: 0.5 }).retry);
});

test("the peer's Retry-After is a floor", (t) => {
  t.deepEqual(decideRetry({ policy, failureClass: 'transient', attempt: 1, idempotent: true, random: 0.5, retryAfterMs: 5000 }), { retry: true, delayMs: 5000 });
});
