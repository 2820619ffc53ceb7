import test from 'ava';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { ConnectionOptions } from 'node:tls';
import winston from 'winston';
import { mllpDestination } from '../../connectors/mllp/mllp.destination.ts';
import { loadListenerTls, type MllpListenerTlsSpec } from '../../connectors/mllp/mllp.tls.ts';
import type { ChannelDefinition } from '../../engine/channel.ts';
import { parseConnectorConfig } from '../../engine/connector-config.ts';
import { SwitchboardError } from '../../engine/errors.ts';
import { silentLogger } from '../../engine/log.ts';
import { startErpSimulator, type ErpSimulator } from '../../peers/erp-simulator.ts';
import { makeTestPki } from '../support/certs.ts';
import { startTestEngine, testChannel, waitFor, type TestEngine } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';
import { chargeEvent } from '../fixtures/charge-event.ts';

/**
 * MLLP listeners over TLS and mutual TLS, with real sockets and certificates made by openssl here.
 * One engine serves four channels, each listener configured differently.
 */
const pki = makeTestPki();
const server = { certFile: pki.server.certFile, keyFile: pki.server.keyFile };
const listeners: Record<string, MllpListenerTlsSpec> = {
  'mtls-subject': { ...server, caFile: pki.caFile, requireClientCertificate: true, allowedSubjects: ['CN=switchboard-client'] },
  // As a channel file with `${MLLP_REQUIRE_CLIENT_CERT:-true}` would give it: a string.
  'mtls-other-subjects': {
    ...server,
    caFile: pki.caFile,
    requireClientCertificate: 'true',
    allowedSubjects: ['CN=lab-analyzer-1', 'CN=switchboard-client, O=GENHOSP'],
  },
  'mtls-fingerprint': {
    ...server,
    caFile: pki.caFile,
    requireClientCertificate: true,
    allowedFingerprints: [pki.client.fingerprint256.toLowerCase()],
  },
  'tls-only': server,
};

const lines: Record<string, unknown>[] = [];
const capture = winston.createLogger({
  level: 'debug',
  format: winston.format.json(),
  transports: [
    new winston.transports.Stream({
      stream: new Writable({ write: (chunk, _enc, done) => (lines.push(JSON.parse(String(chunk)) as Record<string, unknown>), done()) }),
    }),
  ],
});

let erp: ErpSimulator;
let sb: TestEngine;
test.before(async () => {
  erp = await startErpSimulator();
  const channels: ChannelDefinition[] = Object.entries(listeners).map(([id, tls]) => {
    const channel = testChannel({ erpUrl: erp.url, id });
    return { ...channel, source: { ...channel.source, tls } };
  });
  sb = await startTestEngine({ channels, log: capture });
});
test.after.always(async () => {
  await sb?.close();
  await erp?.close();
});

const port = (channelId: string) => sb.addresses.mllp[channelId]!;
const trustServer = { ca: pki.ca };
const withClient = { ...trustServer, cert: pki.client.cert, key: pki.client.key };
const withStranger = { ...trustServer, cert: pki.stranger.cert, key: pki.stranger.key };
const adt = (id: string) =>
  `MSH|^~\\&|LAB|GENHOSP|ERP|FINANCE|20260315083000||ADT^A01^ADT_A01|${id}|P|2.5.1\rPID|1||7^^^H^MR\rPV1|1|I|||||||||||||||||V${id}\r`;

/** One message on a fresh connection: the ACK, or why none came (the connection was refused or closed). */
async function exchange(
  channelId: string,
  tls: ConnectionOptions | undefined,
  controlId: string,
): Promise<{ ack: string } | { refused: string }> {
  let client: MllpTestClient | undefined;
  try {
    client = await MllpTestClient.connect(port(channelId), '127.0.0.1', tls);
    return { ack: await client.send(adt(controlId)) };
  } catch (err) {
    return { refused: (err as Error).message };
  } finally {
    client?.close();
  }
}

const refusedIn = (channelId: string) => lines.filter((l) => l.channelId === channelId && l.level === 'warn');

test('An MLLP client without a certificate is refused by a mutual-TLS listener; one with an allowed certificate gets AA', async (t) => {
  const anonymous = await exchange('mtls-subject', trustServer, 'NOCERT1');
  t.true('refused' in anonymous, 'no ACK without a client certificate');
  const allowed = await exchange('mtls-subject', withClient, 'CERT1');
  t.true('ack' in allowed);
  if (!('ack' in allowed)) return;
  t.is(field(allowed.ack, 'MSA', 1), 'AA');
  t.is(field(allowed.ack, 'MSA', 2), 'CERT1');
  const handshake = await waitFor('the refused handshake in the log', () =>
    refusedIn('mtls-subject').find((l) => l.message === 'MLLP TLS handshake refused'),
  );
  t.regex(String(handshake.code), /CERTIFICATE/i);
});

test('a client certificate from another CA is refused in the handshake: no ACK', async (t) => {
  for (const channelId of ['mtls-subject', 'mtls-fingerprint']) {
    const result = await exchange(channelId, withStranger, 'STRANGER1');
    t.true('refused' in result, channelId);
  }
  const warning = await waitFor('the refusal in the log', () =>
    refusedIn('mtls-fingerprint').find((l) => l.message === 'MLLP TLS handshake refused'),
  );
  t.is(warning.code, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
});

test(
  'a certificate from the trusted CA but on neither allow-list is disconnected before any frame is ' +
    'read; the warning names its subject and fingerprint only',
  async (t) => {
    const result = await exchange('mtls-other-subjects', withClient, 'NOTLISTED1');
    t.true('refused' in result, 'no ACK');
    const warning = await waitFor('the refusal in the log', () =>
      refusedIn('mtls-other-subjects').find((l) => l.message === 'MLLP client certificate not allowed; connection closed'),
    );
    t.is(warning.subject, 'CN=switchboard-client', 'CN alone does not match an entry that also names O');
    t.is(warning.fingerprint256, pki.client.fingerprint256);
    t.false(JSON.stringify(lines).includes('NOTLISTED1'), 'no message content in any log line');
  },
);

test('allowedFingerprints (any case) admits the listed certificate: AA', async (t) => {
  const result = await exchange('mtls-fingerprint', withClient, 'FP1');
  t.true('ack' in result);
  if ('ack' in result) t.is(field(result.ack, 'MSA', 1), 'AA');
});

test('a TLS listener without client certificates answers a TLS client, and a plain-TCP client gets no ACK', async (t) => {
  const tls = await exchange('tls-only', trustServer, 'TLS1');
  t.true('ack' in tls);
  if ('ack' in tls) t.is(field(tls.ack, 'MSA', 1), 'AA');
  t.true('refused' in (await exchange('tls-only', undefined, 'PLAIN1')));
});

test(
  'mllp-out to a Switchboard mutual-TLS listener: AA with an allowed certificate, PEER_TLS_FAILED ' +
    '(nothing sent) with one the allow-list refuses',
  async (t) => {
    const charge = { ...chargeEvent, event: { ...chargeEvent.event, patient: { mrn: '7' } } };
    const ctx = { idempotencyKey: 'm1:out', attempt: 1, signal: new AbortController().signal, log: silentLogger() };
    const tls = { caFile: pki.caFile, clientCertificate: { certFile: pki.client.certFile, keyFile: pki.client.keyFile } };
    const send = async (channelId: string) => {
      const out = mllpDestination.create(parseConnectorConfig(mllpDestination, { host: '127.0.0.1', port: port(channelId), tls }, 'test'), {
        log: silentLogger(),
      });
      try {
        return await out.send(charge, ctx).then(
          (r) => r.responseSummary,
          (e: unknown) => e as SwitchboardError,
        );
      } finally {
        await out.close();
      }
    };
    t.is(await send('mtls-subject'), 'AA');
    // The listener closes before sending a session ticket, so the connector sees the refusal before writing.
    const refused = await send('mtls-other-subjects');
    t.is((refused as SwitchboardError).code, 'PEER_TLS_FAILED', String(refused));
  },
);

test('listener settings are checked at start: CONFIG_INVALID naming the setting', async (t) => {
  const cases: [Partial<MllpListenerTlsSpec>, RegExp][] = [
    [{ allowedSubjects: ['CN=x'] }, /need tls\.requireClientCertificate/],
    [{ requireClientCertificate: true }, /needs tls\.caFile/],
    [{ requireClientCertificate: 'yes', caFile: pki.caFile }, /requireClientCertificate must be true or false/],
    [{ requireClientCertificate: true, caFile: pki.caFile, allowedFingerprints: ['AB:CD'] }, /allowedFingerprints\[0\] is not a SHA-256/],
    [{ requireClientCertificate: true, caFile: pki.caFile, allowedSubjects: ['lab-analyzer-1'] }, /allowedSubjects\[0\]/],
    [{ certFile: path.join(pki.dir, 'missing.crt') }, /cannot read tls\.certFile \(ENOENT\)/],
  ];
  for (const [change, reason] of cases) {
    const err = await loadListenerTls({ ...server, ...change }, 'channel c1').then(
      () => undefined,
      (e: unknown) => e as SwitchboardError,
    );
    t.is(err?.code, 'CONFIG_INVALID', JSON.stringify(change));
    t.regex(err?.message ?? '', reason);
    t.regex(err?.message ?? '', /^channel c1: /);
  }
});
