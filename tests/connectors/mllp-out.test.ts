import test from 'ava';
import { controlIdFor, mllpDestination } from '../../connectors/mllp/mllp.destination.ts';
import { parseConnectorConfig } from '../../engine/connector-config.ts';
import type { DestinationDefinition } from '../../engine/connector.ts';
import { SwitchboardError } from '../../engine/errors.ts';
import { parseMessage } from '../../hl7v2/index.ts';
import { silentLogger } from '../../engine/log.ts';
import { startBillingPeer } from '../../peers/billing-mllp-peer.ts';
import { destinationConformance } from '../conformance/destination-suite.ts';

const make = (port: number, extra: Record<string, unknown> = {}) =>
  mllpDestination.create(
    parseConnectorConfig(mllpDestination, { host: '127.0.0.1', port, receivingApplication: 'BILLING', ...extra }, 'test'),
    { log: silentLogger() },
  );
const ctx = (key: string) => ({ idempotencyKey: key, attempt: 1, signal: new AbortController().signal, log: silentLogger() });
const charge = {
  model: 'ChargeEvent',
  modelVersion: 1,
  event: {
    lineNumber: 2,
    transactionType: 'CG',
    code: 'C1776',
    codeSystem: 'HCPCS',
    description: 'JOINT DEVICE',
    quantity: 1,
    amount: { value: 4250, currency: 'USD' },
    serviceDate: '2026-03-20T12:00:00-05:00',
    encounter: { visitNumber: 'V00098765', patientClass: 'I' },
  },
};
const fail = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as SwitchboardError,
  );

destinationConformance({
  definition: mllpDestination as unknown as DestinationDefinition,
  async up() {
    const peer = await startBillingPeer();
    const connector = make(peer.port);
    // The peer sees control ids derived from the keys; the suite's keys are mapped back through them.
    const received = async () => {
      const ids = peer.received().map((m) => parseMessage(m).get('MSH-10'));
      return ['conf-1:dest', 'conf-2:dest', 'conf-3:dest'].flatMap((k) => ids.filter((id) => id === controlIdFor(k)).map(() => k));
    };
    return { connector, received, close: () => peer.close() };
  },
  async down() {
    const peer = await startBillingPeer();
    await peer.close();
    return make(peer.port, { connectTimeoutMs: 500 });
  },
});

test('a ChargeEvent goes out as a DFT^P03 the billing system reads, and AA is delivered', async (t) => {
  const peer = await startBillingPeer();
  t.teardown(() => peer.close());
  const c = make(peer.port);
  const result = await c.send(charge, ctx('m1:billing'));
  t.is(result.responseSummary, 'AA');
  const dft = parseMessage(peer.received()[0]!);
  t.deepEqual(
    [
      dft.get('MSH-9.1'),
      dft.get('MSH-9.2'),
      dft.get('MSH-5'),
      dft.get('FT1-7.1'),
      dft.get('FT1-11.1'),
      dft.get('FT1-4'),
      dft.get('PV1-19'),
    ],
    ['DFT', 'P03', 'BILLING', 'C1776', '4250', '20260320120000-0500', 'V00098765'],
  );
  t.is(dft.get('PID-3.1'), '', 'no MRN unless the data policy let it through');
  await c.close();
});

test('AE is permanent with the reason kept, AR transient, silence ambiguous; the connection recovers', async (t) => {
  const peer = await startBillingPeer();
  t.teardown(() => peer.close());
  const c = make(peer.port, { ackTimeoutMs: 300 });
  peer.setBehaviour({ mode: 'AE', times: 1, text: 'unknown charge code' });
  const ae = await fail(c.send(charge, ctx('k1')));
  t.is(ae!.code, 'PEER_REJECTED');
  t.is(ae!.failureClass, 'permanent');
  t.is(ae!.peerResponse, 'AE unknown charge code');
  peer.setBehaviour({ mode: 'AR', times: 1 });
  t.is((await fail(c.send(charge, ctx('k2'))))!.failureClass, 'transient');
  peer.setBehaviour({ mode: 'silent', times: 1 });
  const silent = await fail(c.send(charge, ctx('k3')));
  t.is(silent!.code, 'PEER_TIMEOUT');
  t.is(silent!.failureClass, 'ambiguous');
  t.is((await c.send(charge, ctx('k4'))).responseSummary, 'AA', 'a fresh connection after the timeout');
  peer.dropConnections();
  await new Promise((r) => setTimeout(r, 50));
  t.is((await c.send(charge, ctx('k5'))).responseSummary, 'AA', 'reconnects after the peer dropped it');
  await c.close();
});

test('the same idempotency key gives the same MSH-10, so a de-duplicating peer sees one message', async (t) => {
  const peer = await startBillingPeer();
  t.teardown(() => peer.close());
  const c = make(peer.port);
  await c.send(charge, ctx('m9:billing'));
  await c.send(charge, ctx('m9:billing'));
  const ids = peer.received().map((m) => parseMessage(m).get('MSH-10'));
  t.is(ids.length, 2);
  t.is(ids[0], ids[1]);
  await c.close();
});
