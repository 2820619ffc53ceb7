import test from 'ava';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { erpRestDestination } from '../../connectors/erp-rest/erp-rest.destination.ts';
import { parseRetryAfter } from '../../engine/peer-answer.ts';
import { parseConnectorConfig } from '../../engine/connector-config.ts';
import { SwitchboardError } from '../../engine/errors.ts';
import { silentLogger } from '../../engine/log.ts';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { makeTestPki } from '../support/certs.ts';
import { sharedRedisUrl } from '../support/services.ts';
import { uniqueName } from '../../scripts/lib/unique-name.ts';
import { destinationScripts } from '../../engine/queue/destination-scripts.ts';

const payload = { model: 'ChargeEvent', modelVersion: 1, event: { code: '27447', quantity: 1 } };
const ctx = (key: string) => ({ idempotencyKey: key, attempt: 1, signal: new AbortController().signal, log: silentLogger() });
const connector = (baseUrl: string, extra: Record<string, unknown> = {}) =>
  erpRestDestination.create(parseConnectorConfig(erpRestDestination, { baseUrl, ...extra }, 'test'), { log: silentLogger() });

async function failure(p: Promise<unknown>): Promise<SwitchboardError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof SwitchboardError)) throw new Error(`expected a SwitchboardError, got ${String(err)}`);
  return err;
}

test('2xx is delivered with the document id; the same key again gives the same document', async (t) => {
  const erp = await startErpSimulator();
  t.teardown(() => erp.close());
  const c = connector(erp.url);
  const first = await c.send(payload, ctx('m1:erp'));
  const again = await c.send(payload, ctx('m1:erp'));
  t.is(first.peerDocumentId, 'JE-000001');
  t.is(again.peerDocumentId, 'JE-000001');
  t.is(erp.postings().length, 1);
  t.is(erp.postings()[0]!.path, '/api/v1/journal/charges');
  t.is(erp.postings()[0]!.deliveries, 2);
  t.deepEqual(erp.postings()[0]!.body, { model: 'ChargeEvent', modelVersion: 1, idempotencyKey: 'm1:erp', event: payload.event });
  t.is(erp.postings()[0]!.changedBodies, 0, 'the repeat came with the same body');
  await c.send({ ...payload, event: { ...payload.event, quantity: 2 } }, ctx('m1:erp'));
  t.is(erp.postings()[0]!.changedBodies, 1, 'the simulator counts a repeat whose body changed');
});

test('5xx is transient, 429 rate-limited with Retry-After, 400 permanent with the ERP answer', async (t) => {
  const erp = await startErpSimulator();
  t.teardown(() => erp.close());
  const c = connector(erp.url);
  erp.setBehaviour({ mode: 'fail', status: 503, times: 1 });
  const unavailable = await failure(c.send(payload, ctx('k')));
  t.is(unavailable.code, 'PEER_UNAVAILABLE');
  t.is(unavailable.failureClass, 'transient');
  erp.setBehaviour({ mode: 'fail', status: 429, times: 1, retryAfterSeconds: 7 });
  const limited = await failure(c.send(payload, ctx('k')));
  t.is(limited.code, 'PEER_RATE_LIMITED');
  t.is(limited.retryAfterMs, 7000);
  erp.setBehaviour({ mode: 'fail', status: 400, times: 1, body: { error: 'unknown cost center' } });
  const rejected = await failure(c.send(payload, ctx('k')));
  t.is(rejected.code, 'PEER_REJECTED');
  t.is(rejected.failureClass, 'permanent');
  t.regex(rejected.peerResponse ?? '', /^400 .*unknown cost center/);
});

test('no answer in time is ambiguous; a closed port is not connected', async (t) => {
  const erp = await startErpSimulator();
  t.teardown(() => erp.close());
  erp.setBehaviour({ mode: 'hang', times: 1 });
  const timeout = await failure(connector(erp.url, { timeoutMs: 200 }).send(payload, ctx('k')));
  t.is(timeout.code, 'PEER_TIMEOUT');
  t.is(timeout.failureClass, 'ambiguous');
  const closed = await startErpSimulator();
  const url = closed.url;
  await closed.close();
  const refused = await failure(connector(url).send(payload, ctx('k')));
  t.is(refused.code, 'PEER_NOT_CONNECTED');
  t.is(refused.failureClass, 'not-connected');
});

test('a redirect is not followed: permanent, with the answer kept, and nothing reaches the other address', async (t) => {
  const elsewhere = await startErpSimulator();
  t.teardown(() => elsewhere.close());
  const redirecting = http.createServer((_req, res) => res.writeHead(307, { location: `${elsewhere.url}/api/v1/journal/charges` }).end());
  await new Promise<void>((r) => redirecting.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => redirecting.close(() => r())));
  const { port } = redirecting.address() as AddressInfo;
  const e = await failure(connector(`http://127.0.0.1:${port}`).send(payload, ctx('r1')));
  t.is(e.code, 'PEER_REJECTED');
  t.is(e.failureClass, 'permanent');
  t.regex(e.peerResponse ?? '', /^307/);
  t.is(elsewhere.requestTimes().length, 0, 'the payload went nowhere else');
});

test('test() reports reachability', async (t) => {
  const erp = await startErpSimulator();
  t.teardown(() => erp.close());
  t.true((await connector(erp.url).test!()).ok);
});

test('configuration errors name the field; defaults are applied', (t) => {
  const err = t.throws(() => parseConnectorConfig(erpRestDestination, { baseUrl: 'ftp://x' }, 'destination erp'));
  t.regex(err!.message, /destination erp\/baseUrl/);
  const config = parseConnectorConfig(erpRestDestination, { baseUrl: 'https://erp.example.org' }, 'x');
  t.is(config.timeoutMs, 10_000);
  t.is(config.paths.EncounterEvent, '/api/v1/encounters');
});

test('Retry-After in seconds or as an HTTP date', (t) => {
  t.is(parseRetryAfter('3'), 3000);
  t.true((parseRetryAfter(new Date(Date.now() + 5000).toUTCString()) ?? 0) > 3000);
  t.is(parseRetryAfter('soon'), undefined);
});

test('OAuth2 client credentials: a token is fetched once, reused, and fetched again after a 401', async (t) => {
  const erp = await startErpSimulator({ oauth: { clientId: 'switchboard', clientSecret: 's3cret' } });
  t.teardown(() => erp.close());
  const c = connector(erp.url, { oauth2: { tokenUrl: `${erp.url}/oauth/token`, clientId: 'switchboard', clientSecret: 's3cret' } });
  await c.send(payload, ctx('o1'));
  await c.send(payload, ctx('o2'));
  t.is(erp.tokensIssued(), 1);
  erp.revokeTokens();
  const refused = await failure(c.send(payload, ctx('o3')));
  t.is(refused.failureClass, 'transient', 'a refused token is retried');
  await c.send(payload, ctx('o3'));
  t.is(erp.tokensIssued(), 2);
  t.is(erp.postings().length, 3);
  const wrong = connector(erp.url, { oauth2: { tokenUrl: `${erp.url}/oauth/token`, clientId: 'switchboard', clientSecret: 'wrong' } });
  t.is((await failure(wrong.send(payload, ctx('o4')))).code, 'PEER_REJECTED');
});

test('the rate limit caps requests per second, and a 429 Retry-After pauses the next send', async (t) => {
  const erp = await startErpSimulator();
  t.teardown(() => erp.close());
  const c = connector(erp.url, { rateLimitPerSecond: 10 });
  await Promise.all(Array.from({ length: 25 }, (_, i) => c.send(payload, ctx(`r${i}`))));
  const times = erp.requestTimes();
  // An upper bound on rate: requests 100 ms apart are 5 in any 500 ms, +1 per 100 ms a send wakes late (2 allows 200 ms).
  const busiest = Math.max(...times.map((start) => times.filter((x) => x >= start && x < start + 500).length));
  t.true(busiest <= 7, `${busiest} requests in one 500 ms window`);
  erp.setBehaviour({ mode: 'fail', status: 429, times: 1, retryAfterSeconds: 1 });
  await failure(c.send(payload, ctx('r-limited')));
  const limitedAt = Date.now();
  await c.send(payload, ctx('r-after'));
  t.true(erp.requestTimes().at(-1)! - limitedAt >= 900, 'the send after a 429 waited for Retry-After');
});

test(
  'connectors sharing Redis, as the engine processes of a deployment do, share the rate limit and a ' +
    '429 pause; the keys name only the destination',
  async (t) => {
    const redis = new Redis(sharedRedisUrl());
    const prefix = uniqueName('sbq');
    t.teardown(async () => {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    });
    const erp = await startErpSimulator();
    t.teardown(() => erp.close());
    const make = () =>
      erpRestDestination.create(parseConnectorConfig(erpRestDestination, { baseUrl: erp.url, rateLimitPerSecond: 5 }, 'test'), {
        log: silentLogger(),
        shared: destinationScripts(redis, prefix, { channelId: 'ehr', destinationId: 'erp' }),
      });
    const [a, b] = [make(), make()];
    await Promise.all(Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? a : b).send(payload, ctx(`s${i}`))));
    const times = erp.requestTimes();
    // 200 ms apart across both: 5 in any second, +1 per 200 ms a send wakes late (2 allows 400 ms); per-connector limits give 10 or more.
    const busiest = Math.max(...times.map((start) => times.filter((x) => x >= start && x < start + 1000).length));
    t.true(busiest <= 7, `${busiest} requests in one second`);
    erp.setBehaviour({ mode: 'fail', status: 429, times: 1, retryAfterSeconds: 2 });
    await failure(a.send(payload, ctx('s-limited')));
    t.deepEqual((await redis.keys(`${prefix}:*`)).sort(), [
      `${prefix}:destination:{ehr.erp}:rate-limit:next-slot`,
      `${prefix}:destination:{ehr.erp}:rate-limit:paused-until`,
    ]);
    await b.send(payload, ctx('s-after'));
    const [limited] = erp.failures();
    t.true(erp.requestTimes().at(-1)! >= limited!.at + 1990, 'the other connector waited for the Retry-After the first was given');
  },
);

test(
  'mutual TLS: the client certificate is presented and accepted; without it, or with a stranger, the ' +
    'handshake fails and nothing is sent',
  async (t) => {
    const pki = makeTestPki();
    const erp = await startErpSimulator({ tls: { cert: pki.server.cert, key: pki.server.key, ca: pki.ca } });
    t.teardown(() => erp.close());
    const withCert = (certFile: string, keyFile: string) =>
      connector(erp.url, { tls: { caFile: pki.caFile, clientCertificate: { certFile, keyFile } } });
    const ok = withCert(pki.client.certFile, pki.client.keyFile);
    t.teardown(() => ok.close());
    await ok.connect(new AbortController().signal);
    t.is((await ok.send(payload, ctx('tls-1'))).peerDocumentId, 'JE-000001');
    t.deepEqual(erp.clientSubjects(), ['CN=switchboard-client']);
    t.true((await ok.test!()).ok);

    // Without a certificate at all the refusal comes in the handshake (no clientCertificate, no probe needed).
    const anonymous = connector(erp.url, { tls: { caFile: pki.caFile } });
    t.teardown(() => anonymous.close());
    t.not((await failure(anonymous.send(payload, ctx('tls-2')))).failureClass, 'permanent');
    // A certificate the ERP does not accept: connect() finds out before anything is sent.
    const stranger = withCert(pki.stranger.certFile, pki.stranger.keyFile);
    t.teardown(() => stranger.close());
    const refused = await failure(stranger.connect(new AbortController().signal));
    t.is(refused.code, 'PEER_TLS_FAILED');
    t.is(refused.failureClass, 'not-connected');
    t.false((await stranger.test!()).ok);
    t.is(erp.postings().length, 1, 'the refused clients posted nothing');
  },
);

test('TLS: a server certificate from a CA we do not trust is refused; an unreadable file fails connect()', async (t) => {
  const pki = makeTestPki();
  const erp = await startErpSimulator({ tls: { cert: pki.server.cert, key: pki.server.key } });
  t.teardown(() => erp.close());
  const publicCas = connector(erp.url);
  const otherCa = connector(erp.url, { tls: { caFile: pki.otherCaFile } });
  for (const c of [publicCas, otherCa]) {
    t.teardown(() => c.close());
    t.is((await failure(c.send(payload, ctx('tls-3')))).code, 'PEER_TLS_FAILED');
  }
  const trusting = connector(erp.url, { tls: { caFile: pki.caFile } });
  t.teardown(() => trusting.close());
  await trusting.send(payload, ctx('tls-4'));
  t.is(erp.postings().length, 1);

  const missing = connector(erp.url, {
    tls: { caFile: pki.caFile, clientCertificate: { certFile: `${pki.dir}/absent.crt`, keyFile: pki.client.keyFile } },
  });
  const err = await failure(missing.connect(new AbortController().signal));
  t.is(err.code, 'PEER_NOT_CONNECTED');
  t.regex(err.message, /tls\.clientCertificate\.certFile \(ENOENT\)/);
});

test('OAuth2 over mutual TLS: the token endpoint sees the same client certificate', async (t) => {
  const pki = makeTestPki();
  const erp = await startErpSimulator({
    tls: { cert: pki.server.cert, key: pki.server.key, ca: pki.ca },
    oauth: { clientId: 'switchboard', clientSecret: 's3cret' },
  });
  t.teardown(() => erp.close());
  const c = connector(erp.url, {
    tls: { caFile: pki.caFile, clientCertificate: { certFile: pki.client.certFile, keyFile: pki.client.keyFile } },
    oauth2: { tokenUrl: `${erp.url}/oauth/token`, clientId: 'switchboard', clientSecret: 's3cret' },
  });
  t.teardown(() => c.close());
  await c.send(payload, ctx('tls-o1'));
  t.is(erp.tokensIssued(), 1);
  t.is(erp.postings().length, 1);
});
