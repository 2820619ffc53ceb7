import test from 'ava';
import { startHttpPeer, type HttpPeer } from '../../peers/http-peer.ts';

/** A counter peer: each POST /count does work (n + 1) and answers it with a fresh random token. */
async function counter(): Promise<HttpPeer & { work: () => number }> {
  let n = 0;
  const peer = await startHttpPeer({
    name: 'counter',
    routes: [
      { method: 'POST', path: '/count', handler: () => ({ status: 201, body: { n: ++n, token: Math.random() } }) },
      { method: 'GET', path: '/things/:id', handler: ({ params, query }) => ({ status: 200, body: { id: params.id, q: query.get('q') } }) },
    ],
  });
  return { ...peer, work: () => n };
}

const post = (url: string, key?: string, body: unknown = { a: 1 }) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
    body: JSON.stringify(body),
  });

test('a repeated Idempotency-Key gets the first answer byte for byte, the work done once, every delivery counted', async (t) => {
  const peer = await counter();
  t.teardown(() => peer.close());
  const first = await post(`${peer.url}/count`, 'flow-1:step-1');
  const again = await post(`${peer.url}/count`, 'flow-1:step-1');
  t.is(first.status, 201);
  t.is(again.status, 201);
  t.is(await again.text(), await first.text());
  t.is(peer.work(), 1);
  t.is(peer.deliveries('flow-1:step-1'), 2);
  const other = await post(`${peer.url}/count`, 'flow-1:step-2');
  t.like(await other.json(), { n: 2 });
  t.deepEqual(
    peer.requests().map((r) => [r.method, r.path, r.key]),
    [
      ['POST', '/count', 'flow-1:step-1'],
      ['POST', '/count', 'flow-1:step-1'],
      ['POST', '/count', 'flow-1:step-2'],
    ],
  );
  t.deepEqual(peer.requests()[0]?.body, { a: 1 });
});

test('concurrent repeats of one key wait for the first answer (work once)', async (t) => {
  const peer = await counter();
  t.teardown(() => peer.close());
  peer.setBehaviour({ mode: 'slow', delayMs: 50, times: 1 });
  const answers = await Promise.all([1, 2, 3].map(() => post(`${peer.url}/count`, 'k').then((r) => r.text())));
  t.is(new Set(answers).size, 1);
  t.is(peer.work(), 1);
});

test('a POST without Idempotency-Key is 400; GETs route with parameters and query and are not de-duplicated', async (t) => {
  const peer = await counter();
  t.teardown(() => peer.close());
  const bare = await post(`${peer.url}/count`);
  t.is(bare.status, 400);
  t.deepEqual(await bare.json(), { error: 'Idempotency-Key header is required' });
  t.is(peer.work(), 0);
  const got = await fetch(`${peer.url}/things/a%20b?q=x`, { headers: { 'idempotency-key': 'g' } });
  t.deepEqual(await got.json(), { id: 'a b', q: 'x' });
  t.is((await fetch(`${peer.url}/nothing`)).status, 404);
  t.is((await fetch(`${peer.url}/count`)).status, 405);
  t.is((await post(`${peer.url}/count`, 'bad', undefined)).status, 201);
  const notJson = await fetch(`${peer.url}/count`, { method: 'POST', headers: { 'idempotency-key': 'nj' }, body: '{' });
  t.is(notJson.status, 400);
});

test('fail answers its status `times` times (with Retry-After), is not remembered, and then the same key does the work', async (t) => {
  const peer = await counter();
  t.teardown(() => peer.close());
  peer.setBehaviour({ mode: 'fail', status: 503, times: 2, retryAfterSeconds: 7 });
  const a = await post(`${peer.url}/count`, 'k');
  t.is(a.status, 503);
  t.is(a.headers.get('retry-after'), '7');
  t.deepEqual(await a.json(), { error: 'simulated failure' });
  t.is((await post(`${peer.url}/count`, 'k')).status, 503);
  const c = await post(`${peer.url}/count`, 'k');
  t.is(c.status, 201);
  t.is(peer.work(), 1);
  t.deepEqual(
    peer.failures().map((f) => f.status),
    [503, 503],
  );
  t.is(peer.deliveries('k'), 3);
  t.is(peer.requestTimes().length, 3);
});

test('fail with match only hits paths containing it; fail with a body answers that body', async (t) => {
  const peer = await counter();
  t.teardown(() => peer.close());
  peer.setBehaviour({ mode: 'fail', status: 422, times: -1, match: '/things', body: { error: 'no' } });
  t.is((await post(`${peer.url}/count`, 'k')).status, 201);
  const r = await fetch(`${peer.url}/things/1`);
  t.is(r.status, 422);
  t.deepEqual(await r.json(), { error: 'no' });
  t.is((await fetch(`${peer.url}/things/2`)).status, 422);
});

test('hang accepts and never answers, `times` times, then answers; close() ends a hung request', async (t) => {
  const peer = await counter();
  t.teardown(() => peer.close());
  peer.setBehaviour({ mode: 'hang', times: 1 });
  const timedOut = fetch(`${peer.url}/count`, {
    method: 'POST',
    headers: { 'idempotency-key': 'k' },
    body: '{}',
    signal: AbortSignal.timeout(200),
  });
  t.is(
    await timedOut.then(
      () => 'answered',
      (e: unknown) => (e as Error).name,
    ),
    'TimeoutError',
  );
  t.is(peer.work(), 0);
  t.is((await post(`${peer.url}/count`, 'k')).status, 201);
  peer.setBehaviour({ mode: 'hang', times: -1 });
  const pending = post(`${peer.url}/count`, 'k2');
  while (peer.requests().length < 3) await new Promise((r) => setTimeout(r, 10));
  await peer.close();
  await t.throwsAsync(pending);
  t.is(peer.work(), 1);
  t.is(peer.deliveries('k'), 2);
});

test('behaviour can be set over HTTP; health answers', async (t) => {
  const peer = await counter();
  t.teardown(() => peer.close());
  t.deepEqual(await (await fetch(`${peer.url}/_sim/health`)).json(), { status: 'up', service: 'counter' });
  const set = await fetch(`${peer.url}/_sim/behaviour`, { method: 'POST', body: JSON.stringify({ mode: 'fail', status: 500, times: 1 }) });
  t.is(set.status, 200);
  t.is((await post(`${peer.url}/count`, 'k')).status, 500);
  t.is((await post(`${peer.url}/count`, 'k')).status, 201);
});
