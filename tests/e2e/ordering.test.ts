import test from 'ava';
import { startErpSimulator, type ErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, testChannel, waitFor } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';

/** An ADT^A08 for visit `visit`; `n` numbers it within the visit; a `POISON` location makes the ERP refuse it. */
const adt = (visit: string, n: number, location = 'WARD') =>
  `MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315083000||ADT^A08|${visit}-${n}|P|2.5.1\r` +
  `EVN|A08|2026031508${String(n).padStart(2, '0')}00\r` +
  `PID|1||${visit}^^^GENHOSP^MR\rPV1|1|I|${location}${'|'.repeat(16)}${visit}\r`;
const postedOrder = (erp: ErpSimulator, visit: string) =>
  erp
    .postings()
    .map((p) => (p.body as { event: { occurredAt: string; encounter: { visitNumber: string } } }).event)
    .filter((e) => e.encounter.visitNumber === visit)
    .map((e) => Number(e.occurredAt.slice(14, 16)));

async function ordered(onHeadFailure: 'block' | 'park') {
  const erp = await startErpSimulator();
  const base = testChannel({ erpUrl: erp.url, retry: { attempts: 2, initialDelayMs: 30, maxDelayMs: 100 } });
  const channel = {
    ...base,
    destinations: base.destinations.map((d) => ({ ...d, ordering: { key: 'encounter.visitNumber', onHeadFailure } })),
  };
  const sb = await startTestEngine({ channels: [channel], config: { DELIVERY_CONCURRENCY: 8 } });
  return { erp, sb, close: async () => (await sb.close(), await erp.close()) };
}

test('an ordered destination keeps first-in first-out per key, in parallel across keys', async (t) => {
  const { erp, sb, close } = await ordered('block');
  t.teardown(close);
  erp.setBehaviour({ mode: 'slow', delayMs: 5, jitterMs: 40, times: -1 });
  const client = await MllpTestClient.connect(sb.mllpPort);
  for (let n = 1; n <= 6; n++) for (const visit of ['VA', 'VB', 'VC']) t.is(field(await client.send(adt(visit, n)), 'MSA', 1), 'AA');
  client.close();
  await waitFor('18 postings', () => erp.postings().length === 18);
  for (const visit of ['VA', 'VB', 'VC']) t.deepEqual(postedOrder(erp, visit), [1, 2, 3, 4, 5, 6], visit);
});

test('block: a poison head holds its key until it is replayed, other keys go on; then order resumes', async (t) => {
  const { erp, sb, close } = await ordered('block');
  t.teardown(close);
  erp.setBehaviour({ mode: 'fail', status: 400, times: -1, match: 'POISON' });
  const client = await MllpTestClient.connect(sb.mllpPort);
  await client.send(adt('VK', 1));
  await client.send(adt('VK', 2, 'POISON'));
  await client.send(adt('VK', 3));
  await client.send(adt('VL', 1));
  await client.send(adt('VL', 2));
  client.close();
  await waitFor(
    'VL delivered and the head dead',
    async () =>
      postedOrder(erp, 'VL').length === 2 && (await sb.engine.store!.messages.list({ controlId: 'VK-2', limit: 1 }))[0]?.status === 'dead',
  );
  await new Promise((r) => setTimeout(r, 1000));
  t.deepEqual(postedOrder(erp, 'VK'), [1], 'VK-3 is held behind the dead VK-2');
  t.is((await sb.engine.store!.messages.list({ controlId: 'VK-3', limit: 1 }))[0]!.deliveries.erp!.status, 'pending');

  erp.setBehaviour({ mode: 'ok' });
  const replay = await sb.engine.http!.inject({
    method: 'POST',
    url: '/api/replays',
    headers: sb.adminHeaders,
    payload: { filter: { destination: 'erp' }, reason: 'ERP fixed the location table', dryRun: false },
  });
  t.is(replay.statusCode, 202);
  await waitFor('VK-2 and VK-3 delivered', () => postedOrder(erp, 'VK').length === 3);
  t.deepEqual(postedOrder(erp, 'VK'), [1, 2, 3]);
});

test('park: a poison head is dead-lettered and its key goes on', async (t) => {
  const { erp, sb, close } = await ordered('park');
  t.teardown(close);
  erp.setBehaviour({ mode: 'fail', status: 400, times: -1, match: 'POISON' });
  const client = await MllpTestClient.connect(sb.mllpPort);
  await client.send(adt('VP', 1));
  await client.send(adt('VP', 2, 'POISON'));
  await client.send(adt('VP', 3));
  client.close();
  await waitFor('VP-1 and VP-3 delivered', () => postedOrder(erp, 'VP').length === 2);
  t.deepEqual(postedOrder(erp, 'VP'), [1, 3]);
  t.is((await sb.engine.store!.messages.list({ controlId: 'VP-2', limit: 1 }))[0]!.status, 'dead');
});
