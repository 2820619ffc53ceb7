import test from 'ava';
import { readdir } from 'node:fs/promises';
import { startErpSimulator, type ErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, testChannel, waitFor, type TestEngine } from '../support/harness.ts';
import { CORPUS, corpusCase, hasShared, requireShared } from '../support/shared.ts';
import { field, mllpSend, MllpTestClient } from '../support/mllp-client.ts';

// Read before any test is declared: ava needs declarations to be synchronous after this point.
const cases = hasShared
  ? (await readdir(CORPUS))
      .filter((f) => /^\d{3}-.*\.hl7$/.test(f))
      .map((f) => f.replace(/\.hl7$/, ''))
      .sort()
  : [];
const valid = cases.filter((c) => c.startsWith('0'));
const invalid = cases.filter((c) => c.startsWith('1'));

let erp: ErpSimulator;
let sb: TestEngine;

test.before(async () => {
  erp = await startErpSimulator({ port: 0 });
  sb = await startTestEngine({ channels: [testChannel({ erpUrl: erp.url })] });
});
test.after.always(async () => {
  await sb?.close();
  await erp?.close();
});

test.serial('every valid corpus case sent with mllp_send gets AA with MSA-2 equal to its MSH-10', async (t) => {
  if (!requireShared(t)) return;
  for (const name of valid) {
    const { bytes, expect } = await corpusCase(name);
    const ack = await mllpSend(sb.mllpPort, bytes);
    if (expect.batch) {
      const controlIds = (expect.messages as Record<string, string>[]).map((m) => m['MSH-10']);
      const msas = ack
        .split(/\r\n|\r|\n/)
        .filter((l) => l.startsWith('MSA|'))
        .map((l) => l.split('|'));
      t.deepEqual(
        msas.map((m) => m[1]),
        controlIds.map(() => 'AA'),
        `${name}: one AA per message of the batch`,
      );
      t.deepEqual(
        msas.map((m) => m[2]),
        controlIds,
        `${name}: MSA-2 of each`,
      );
      continue;
    }
    // Expected ids read straight from the file's MSH line, independently of our codec.
    const msh = bytes
      .toString('utf8')
      .trim()
      .split(/\r\n|\r|\n/)[0]!
      .split(bytes.toString('utf8').trim()[3]!);
    const sentTrigger = msh[8]!.split(msh[1]![0]!)[1];
    t.is(field(ack, 'MSA', 1), 'AA', `${name}: ${ack}`);
    t.is(field(ack, 'MSA', 2), msh[9] ?? '', `${name}: MSA-2`);
    const c = field(ack, 'MSH', 2)[0]!; // the ACK is written with the sender's own delimiters
    t.is(field(ack, 'MSH', 9), ['ACK', sentTrigger, 'ACK'].join(c), `${name}: MSH-9`);
  }
});

test.serial('every invalid corpus case gets AR or AE with a reason, and the listener keeps serving', async (t) => {
  if (!requireShared(t)) return;
  for (const name of invalid) {
    const { bytes } = await corpusCase(name);
    const ack = await mllpSend(sb.mllpPort, bytes);
    t.true(['AR', 'AE'].includes(field(ack, 'MSA', 1)), `${name}: ${ack}`);
    t.not(field(ack, 'MSA', 3), '', `${name}: MSA-3 names the reason`);
    t.true(ack.includes('\rERR|') || ack.includes('\nERR|'), `${name}: ERR segment`);
  }
  const { bytes } = await corpusCase('001-adt-a01-basic');
  t.is(field(await mllpSend(sb.mllpPort, bytes), 'MSA', 1), 'AA');
});

test.serial('each accepted ADT and DFT reaches the ERP exactly once, also when sent twice', async (t) => {
  if (!requireShared(t)) return;
  const client = await MllpTestClient.connect(sb.mllpPort);
  const adtDft = ['001-adt-a01-basic', '004-custom-delimiters', '008-dft-p03-charges', '012-adt-a40-merge'];
  for (const name of adtDft) {
    const { bytes } = await corpusCase(name);
    const first = await client.send(bytes);
    t.is(field(first, 'MSA', 1), 'AA', `${name}: ${first}`);
    // The resend is a duplicate: it gets the stored ACK, byte for byte (its own MSH-10 and MSH-7 too).
    t.is(await client.send(bytes), first, `${name}: the resend gets the first ACK again`);
  }
  client.close();
  // 001, 004, 012 give one EncounterEvent each; 008's three FT1 lines give three ChargeEvents and
  // its supply line one SupplyConsumptionEvent.
  const byControlId = async (controlId: string) =>
    (await sb.engine.store!.messages.list({ controlId, limit: 10, channelId: 'ehr-mllp' })).filter((m) => m.status !== 'rejected');
  for (const [controlId, events] of [
    ['MSG00001', 1],
    ['CUST0001', 1],
    ['DFT0001', 4],
    ['MRG0001', 1],
  ] as const) {
    const [message] = await waitFor(`${controlId} delivered`, async () => {
      const found = await byControlId(controlId);
      return found.length === 1 && found[0]!.status === 'delivered' && found;
    });
    const keys = erp.postings().filter((p) => p.idempotencyKey.startsWith(`${message!._id}:`));
    t.is(keys.length, events, `${controlId}: one posting per canonical event`);
    t.true(
      keys.every((p) => p.deliveries === 1),
      `${controlId}: the ERP saw each key once`,
    );
  }
});
