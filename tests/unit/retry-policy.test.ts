import test from 'ava';
import {
  MongoClient,
  MongoErrorLabel,
  MongoNetworkError,
  MongoNetworkTimeoutError,
  MongoServerError,
  MongoServerSelectionError,
} from 'mongodb';
import { SwitchboardError, toDeliveryFailure, toSwitchboardError } from '../../engine/errors.ts';
import { decideRetry } from '../../engine/retry-policy.ts';

const policy = { attempts: 3, initialDelayMs: 100, maxDelayMs: 1000 };

test('transient failures back off exponentially until attempts are spent', (t) => {
  t.deepEqual(decideRetry({ policy, failureClass: 'transient', attempt: 1, idempotent: true, random: 0.5 }), { retry: true, delayMs: 100 });
  t.deepEqual(decideRetry({ policy, failureClass: 'transient', attempt: 2, idempotent: true, random: 0.5 }), { retry: true, delayMs: 200 });
  t.deepEqual(decideRetry({ policy, failureClass: 'transient', attempt: 3, idempotent: true, random: 0.5 }), {
    retry: false,
    reason: 'exhausted',
  });
});

test('jitter stays within ±20% and the delay is capped', (t) => {
  const big = { attempts: 50, initialDelayMs: 100, maxDelayMs: 1000 };
  t.deepEqual(decideRetry({ policy: big, failureClass: 'transient', attempt: 20, idempotent: true, random: 0 }), {
    retry: true,
    delayMs: 800,
  });
  t.deepEqual(decideRetry({ policy: big, failureClass: 'transient', attempt: 20, idempotent: true, random: 0.999999 }), {
    retry: true,
    delayMs: 1200,
  });
});

test('permanent failures are never retried', (t) => {
  t.deepEqual(decideRetry({ policy, failureClass: 'permanent', attempt: 1, idempotent: true }), { retry: false, reason: 'permanent' });
});

test('ambiguous failures are retried only for idempotent connectors', (t) => {
  t.true(decideRetry({ policy, failureClass: 'ambiguous', attempt: 1, idempotent: true }).retry);
  t.deepEqual(decideRetry({ policy, failureClass: 'ambiguous', attempt: 1, idempotent: false }), {
    retry: false,
    reason: 'ambiguous-not-idempotent',
  });
});

test('not-connected failures do not spend attempts', (t) => {
  t.true(decideRetry({ policy, failureClass: 'not-connected', attempt: 99, idempotent: false, random: 0.5 }).retry);
});

test("the peer's Retry-After is a floor", (t) => {
  t.deepEqual(decideRetry({ policy, failureClass: 'transient', attempt: 1, idempotent: true, random: 0.5, retryAfterMs: 5000 }), {
    retry: true,
    delayMs: 5000,
  });
});

test('an error nobody classified is a defect: INTERNAL, permanent, dead at once, its class name kept and its text not', (t) => {
  for (const thrown of [new Error('patient DOE'), new TypeError("Cannot read properties of undefined (reading 'x')"), 'a string']) {
    const e = toSwitchboardError(thrown);
    t.is(e.code, 'INTERNAL');
    t.is(e.failureClass, 'permanent');
    t.false(e.message.includes('DOE') || e.message.includes('properties'));
    t.deepEqual(decideRetry({ policy, failureClass: e.failureClass, attempt: 1, idempotent: true }), { retry: false, reason: 'permanent' });
    t.is(toDeliveryFailure(thrown).code, 'INTERNAL', 'at the delivery boundary too');
  }
  t.is(toSwitchboardError(new TypeError('x')).message, 'TypeError');
});

test(
  'MongoDB driver errors of a store that is away are STORE_UNAVAILABLE (transient), by class and ' + 'label; other driver errors are not',
  async (t) => {
    // A real driver failure: no server where the client looks.
    const client = new MongoClient('mongodb://127.0.0.1:1/?directConnection=true', { serverSelectionTimeoutMS: 100 });
    const selection = await client
      .db('x')
      .command({ ping: 1 })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    await client.close();
    t.true(selection instanceof MongoServerSelectionError, String(selection));
    const away = [
      selection,
      new MongoNetworkError('connection reset'),
      new MongoNetworkTimeoutError('timed out'),
      new MongoServerError({ errmsg: 'shutdown in progress', code: 91, errorLabels: [MongoErrorLabel.RetryableWriteError] }),
      new Error('wrapped', { cause: new MongoNetworkError('reset') }),
    ];
    for (const err of away) {
      const e = toSwitchboardError(err);
      t.is(e.code, 'STORE_UNAVAILABLE', String(err));
      t.is(e.failureClass, 'transient');
      t.is(toDeliveryFailure(err).code, 'STORE_UNAVAILABLE');
    }
    t.is(toSwitchboardError(new MongoServerError({ errmsg: 'bad query', code: 2 })).code, 'INTERNAL', 'a refused command is no outage');
  },
);

test('network errors escaping a connector are classified by code at the delivery boundary: not connected, timeout, lost', (t) => {
  const fetchFailed = (code: string) => new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code }) });
  t.is(toDeliveryFailure(fetchFailed('ECONNREFUSED')).code, 'PEER_NOT_CONNECTED');
  t.is(toDeliveryFailure(fetchFailed('UND_ERR_HEADERS_TIMEOUT')).code, 'PEER_TIMEOUT');
  t.is(toDeliveryFailure(Object.assign(new Error('x'), { code: 'ECONNRESET' })).code, 'PEER_CONNECTION_LOST');
  for (const code of ['ENETDOWN', 'EHOSTDOWN', 'EADDRNOTAVAIL'])
    t.is(toDeliveryFailure(Object.assign(new Error('x'), { code })).code, 'PEER_NOT_CONNECTED', code);
  t.is(toDeliveryFailure(Object.assign(new Error('x'), { code: 'EPROTO' })).code, 'PEER_TLS_FAILED');
  t.is(toDeliveryFailure(new DOMException('aborted', 'AbortError')).code, 'PEER_CONNECTION_LOST');
  t.is(toDeliveryFailure(new DOMException('timed out', 'TimeoutError')).code, 'PEER_TIMEOUT');
  t.is(
    toDeliveryFailure(Object.assign(new Error('x'), { code: 'ERR_INVALID_ARG_TYPE' })).code,
    'INTERNAL',
    'a code that is no network failure',
  );
  const classified = new SwitchboardError('PEER_REJECTED');
  t.is(toDeliveryFailure(classified), classified);
});
