import test from 'ava';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { mllpDestination } from '../../connectors/mllp/mllp.destination.ts';
import { parseConnectorConfig } from '../../engine/connector-config.ts';
import { SwitchboardError } from '../../engine/errors.ts';
import { parseMessage } from '../../hl7v2/index.ts';
import { silentLogger } from '../../engine/log.ts';
import { startBillingPeer } from '../../peers/billing-mllp-peer.ts';
import { makeTestPki } from '../support/certs.ts';
import { chargeEvent } from '../fixtures/charge-event.ts';

/** mllp-out over TLS and mutual TLS against the billing peer, with certificates made by openssl here. */
const pki = makeTestPki();
const serverOnly = { cert: pki.server.cert, key: pki.server.key };
const mutual = { ...serverOnly, ca: pki.ca };
const clientCertificate = { certFile: pki.client.certFile, keyFile: pki.client.keyFile };

const make = (port: number, tls: Record<string, unknown>) =>
  mllpDestination.create(parseConnectorConfig(mllpDestination, { host: '127.0.0.1', port, connectTimeoutMs: 5000, tls }, 'test'), {
    log: silentLogger(),
  });
const ctx = (key: string) => ({ idempotencyKey: key, attempt: 1, signal: new AbortController().signal, log: silentLogger() });
const charge = chargeEvent;
const fail = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as SwitchboardError,
  );

test('over TLS, the peer certificate checked against caFile: AA', async (t) => {
  const peer = await startBillingPeer({ tls: serverOnly });
  t.teardown(() => peer.close());
  const c = make(peer.port, { caFile: pki.caFile });
  t.teardown(() => c.close());
  t.is((await c.send(charge, ctx('tls-1:billing'))).responseSummary, 'AA');
  t.is(parseMessage(peer.received()[0]!).get('FT1-7.1'), 'C1776');
});

test('mutual TLS: the peer sees our client certificate and answers AA', async (t) => {
  const peer = await startBillingPeer({ tls: mutual });
  t.teardown(() => peer.close());
  const c = make(peer.port, { caFile: pki.caFile, clientCertificate });
  t.teardown(() => c.close());
  t.is((await c.send(charge, ctx('mtls-1:billing'))).responseSummary, 'AA');
  t.deepEqual(peer.clientSubjects(), ['CN=switchboard-client']);
});

test('mutual TLS with a passphrase-protected key (tls.clientCertificate.keyPassphrase, a declared secret)', async (t) => {
  const encrypted = path.join(pki.dir, 'client-encrypted.key');
  execFileSync('openssl', ['pkey', '-in', pki.client.keyFile, '-out', encrypted, '-aes256', '-passout', 'pass:correct horse'], {
    stdio: 'ignore',
  });
  t.true(mllpDestination.secrets.includes('tls.clientCertificate.keyPassphrase'));
  const peer = await startBillingPeer({ tls: mutual });
  t.teardown(() => peer.close());
  const c = make(peer.port, {
    caFile: pki.caFile,
    clientCertificate: { ...clientCertificate, keyFile: encrypted, keyPassphrase: 'correct horse' },
  });
  t.teardown(() => c.close());
  t.is((await c.send(charge, ctx('mtls-2:billing'))).responseSummary, 'AA');
});

test('a peer certificate from a CA we do not trust is PEER_TLS_FAILED (not connected), nothing sent', async (t) => {
  const peer = await startBillingPeer({ tls: serverOnly });
  t.teardown(() => peer.close());
  const c = make(peer.port, { caFile: pki.otherCaFile });
  t.teardown(() => c.close());
  const err = await fail(c.send(charge, ctx('tls-2:billing')));
  t.is(err?.code, 'PEER_TLS_FAILED', err?.message);
  t.is(err?.failureClass, 'not-connected');
  t.deepEqual(peer.received(), []);
  t.false((await c.test!()).ok);
});

test('a peer certificate that does not name serverName is PEER_TLS_FAILED', async (t) => {
  const peer = await startBillingPeer({ tls: serverOnly });
  t.teardown(() => peer.close());
  const c = make(peer.port, { caFile: pki.caFile, serverName: 'billing.example.org' });
  t.teardown(() => c.close());
  t.is((await fail(c.send(charge, ctx('tls-3:billing'))))?.code, 'PEER_TLS_FAILED');
  t.deepEqual(peer.received(), []);
});

test('a mutual-TLS peer refusing our certificate (another CA), or its absence, is PEER_TLS_FAILED, nothing sent', async (t) => {
  const peer = await startBillingPeer({ tls: mutual });
  t.teardown(() => peer.close());
  for (const tls of [
    { caFile: pki.caFile },
    { caFile: pki.caFile, clientCertificate: { certFile: pki.stranger.certFile, keyFile: pki.stranger.keyFile } },
  ]) {
    const c = make(peer.port, tls);
    const err = await fail(c.send(charge, ctx('mtls-3:billing')));
    t.is(err?.code, 'PEER_TLS_FAILED', err?.message);
    t.is(err?.failureClass, 'not-connected');
    await c.close();
  }
  t.deepEqual(peer.received(), []);
  t.deepEqual(peer.clientSubjects(), []);
});

test('an unreadable certificate file is PEER_NOT_CONNECTED naming the setting, not its content', async (t) => {
  const c = make(1, { caFile: pki.caFile, clientCertificate: { ...clientCertificate, certFile: path.join(pki.dir, 'missing.crt') } });
  const err = await fail(c.connect(new AbortController().signal));
  t.is(err?.code, 'PEER_NOT_CONNECTED');
  t.regex(err?.message ?? '', /tls\.clientCertificate\.certFile \(ENOENT\)/);
});
