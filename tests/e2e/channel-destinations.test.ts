import test from 'ava';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, testChannel, waitFor } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';

const adt = (id: string) =>
  `MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260320143000||ADT^A01|${id}|P|2.5.1\r` +
  `PID|1||5150^^^GENHOSP^MR||ROE^RITA\rPV1|1|I|4W^306^B${'|'.repeat(16)}V${id}\r`;

/**
 * Destination ids are unique within a channel only. Two channels with a destination `erp` each
 * have their own delivery queue and worker: a message is delivered under its own channel's
 * destination (its address and data policy), never the other's.
 */
test('two channels with a destination of the same id each deliver their messages under their own policy', async (t) => {
  const [withVisits, withoutVisits] = await Promise.all([startErpSimulator(), startErpSimulator()]);
  const open = testChannel({ erpUrl: withVisits.url });
  const base = testChannel({ erpUrl: withoutVisits.url, id: 'ehr-second' });
  // The second channel's ERP gets the default classes only: no visit number (an indirect identifier).
  const strict = { ...base, destinations: base.destinations.map(({ dataPolicy: _open, ...d }) => d) };
  const sb = await startTestEngine({ channels: [open, strict] });
  t.teardown(async () => (await sb.close(), await withVisits.close(), await withoutVisits.close()));

  const sent: Record<string, string[]> = { 'ehr-mllp': [], 'ehr-second': [] };
  for (const [channelId, ids] of Object.entries(sent)) {
    const client = await MllpTestClient.connect(sb.addresses.mllp[channelId]!);
    for (let i = 0; i < 8; i++) {
      const id = `${channelId === 'ehr-mllp' ? 'ONE' : 'TWO'}${i}`;
      t.is(field(await client.send(adt(id)), 'MSA', 1), 'AA');
      ids.push(id);
    }
    client.close();
  }
  await waitFor('every message posted', () => withVisits.postings().length >= 8 && withoutVisits.postings().length >= 8);

  const visits = (postings: { body: unknown }[]) =>
    postings.map((p) => (p.body as { event?: { encounter?: { visitNumber?: string } } }).event?.encounter?.visitNumber ?? null).sort();
  t.deepEqual(visits(withVisits.postings()), sent['ehr-mllp']!.map((id) => `V${id}`).sort(), 'the first channel sends visit numbers');
  t.deepEqual(visits(withoutVisits.postings()), Array(8).fill(null), 'the second never does, whichever process delivers');
});
