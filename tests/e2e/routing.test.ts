import test from 'ava';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, testChannel, waitFor } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';

const dft = (id: string, ft1: string) =>
  `MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260320143000||DFT^P03^DFT_P03|${id}|P|2.5.1\r` +
  `PID|1||5150^^^GENHOSP^MR||ROE^RITA\rPV1|1|I${'|'.repeat(17)}V${id}\r${ft1}\r`;

test('a transform failure is answered AE naming the field, stored as errored, and a resend gets the same answer', async (t) => {
  const erp = await startErpSimulator();
  const sb = await startTestEngine({ channels: [testChannel({ erpUrl: erp.url })] });
  t.teardown(async () => (await sb.close(), await erp.close()));
  const client = await MllpTestClient.connect(sb.mllpPort);
  const bad = dft('TXF1', 'FT1|1|||20260320120000||CG');
  const ack = await client.send(bad);
  t.is(field(ack, 'MSA', 1), 'AE');
  t.is(field(ack, 'MSA', 3), 'ChargeEvent event 1: field code from FT1-7.1: FT1-7.1 is empty');
  t.is(await client.send(bad), ack, 'the resend is de-duplicated and gets the stored AE, byte for byte (MSH-10 included)');
  const good = await client.send(dft('TXF2', 'FT1|1|||20260320120000||CG|27447^KNEE^CPT|||1'));
  t.is(field(good, 'MSA', 1), 'AA');
  client.close();
  const [errored] = await sb.engine.store!.messages.list({ controlId: 'TXF1', limit: 5 });
  t.is(errored!.status, 'errored');
  t.is(errored!.error?.code, 'TRANSFORM_FAILED');
  await waitFor(
    'TXF2 delivered',
    async () => (await sb.engine.store!.messages.list({ controlId: 'TXF2', limit: 1 }))[0]?.status === 'delivered',
  );
  t.is(erp.postings().length, 1);
});

test('a channel filter stores what it drops as filtered, acknowledges it, and sends it nowhere', async (t) => {
  const erp = await startErpSimulator();
  const channel = testChannel({ erpUrl: erp.url });
  const sb = await startTestEngine({ channels: [{ ...channel, filter: { hl7: 'PV1-2', oneOf: ['I'] } }] });
  t.teardown(async () => (await sb.close(), await erp.close()));
  const client = await MllpTestClient.connect(sb.mllpPort);
  const adt = (id: string, cls: string) =>
    `MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260320143000||ADT^A04|${id}|P|2.5.1\r` +
    `PID|1||5150^^^GENHOSP^MR\rPV1|1|${cls}${'|'.repeat(17)}V${id}\r`;
  t.is(field(await client.send(adt('FLT-O', 'O')), 'MSA', 1), 'AA');
  t.is(field(await client.send(adt('FLT-I', 'I')), 'MSA', 1), 'AA');
  client.close();
  await waitFor(
    'inpatient delivered',
    async () => (await sb.engine.store!.messages.list({ controlId: 'FLT-I', limit: 1 }))[0]?.status === 'delivered',
  );
  const [outpatient] = await sb.engine.store!.messages.list({ controlId: 'FLT-O', limit: 1 });
  t.is(outpatient!.status, 'filtered');
  t.is(outpatient!.filteredReason, 'channel filter: PV1-2 in [I]');
  t.is(erp.postings().length, 1);
});
