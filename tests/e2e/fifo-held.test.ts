import test from 'ava';
import { startErpSimulator, type ErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, testChannel, waitFor, type TestEngine } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';

/**
 * Per-key first-in first-out while deliveries queue up: the ERP holds them, so several messages of
 * one key wait together, and only the head-of-line check keeps them in order when it lets go.
 * (tests/e2e/ordering.test.ts delivers each message before the next of its key arrives.)
 */

/** An ADT^A08 for visit `visit`, `n`-th of the visit (EVN-2 minute); location `HOLD` is what the ERP is told to refuse. */
const adt = (visit: string, n: number, location = 'WARD') =>
  `MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315083000||ADT^A08|${visit}-${n}|P|2.5.1\r` +
  `EVN|A08|2026031508${String(n).padStart(2, '0')}00\r` +
  `PID|1||${visit}^^^GENHOSP^MR\rPV1|1|I|${location}${'|'.repeat(16)}${visit}\r`;

/** The `n` of each posting of `visit`, in the order the ERP took them. */
const postedOrder = (erp: ErpSimulator, visit: string) =>
  erp
    .postings()
    .map((p) => (p.body as { event: { occurredAt: string; encounter: { visitNumber: string } } }).event)
    .filter((e) => e.encounter.visitNumber === visit)
    .map((e) => Number(e.occurredAt.slice(14, 16)));

/** An engine whose ERP destination is ordered by visit (block), with retries enough to outlast a hold, 8 deliveries at a time. */
async function orderedEngine(t: {
  teardown(fn: () => Promise<void>): void;
}): Promise<{ erp: ErpSimulator; sb: TestEngine; client: MllpTestClient }> {
  const erp = await startErpSimulator();
  const base = testChannel({ erpUrl: erp.url, retry: { attempts: 1000, initialDelayMs: 20, maxDelayMs: 200 } });
  const channel = {
    ...base,
    destinations: base.destinations.map((d) => ({ ...d, ordering: { key: 'encounter.visitNumber', onHeadFailure: 'block' as const } })),
  };
  const sb = await startTestEngine({ channels: [channel], config: { DELIVERY_CONCURRENCY: 8 } });
  const client = await MllpTestClient.connect(sb.mllpPort);
  t.teardown(async () => (client.close(), await sb.close(), await erp.close()));
  return { erp, sb, client };
}

const status = async (sb: TestEngine, controlId: string) =>
  (await sb.engine.store!.messages.list({ controlId, limit: 1 }))[0]!.deliveries.erp!;

test(
  'a head the ERP keeps refusing holds the rest of its key, queued ' + 'together and spending no attempt; released, they go in order',
  async (t) => {
    const { erp, sb, client } = await orderedEngine(t);
    erp.setBehaviour({ mode: 'fail', status: 503, times: -1, match: 'HOLD' });
    t.is(field(await client.send(adt('VH', 1, 'HOLD')), 'MSA', 1), 'AA');
    for (let n = 2; n <= 5; n++) {
      t.is(field(await client.send(adt('VH', n)), 'MSA', 1), 'AA');
      t.is(field(await client.send(adt('VG', n - 1)), 'MSA', 1), 'AA');
    }
    // Another key goes on; the held head is retried meanwhile, again and again.
    await waitFor(
      'VG delivered and VH-1 retried',
      async () => postedOrder(erp, 'VG').length === 4 && (await status(sb, 'VH-1')).attempts.length >= 3,
    );
    t.deepEqual(postedOrder(erp, 'VG'), [1, 2, 3, 4]);
    t.deepEqual(postedOrder(erp, 'VH'), [], 'nothing of VH passed its head');
    for (let n = 2; n <= 5; n++)
      t.like(await status(sb, `VH-${n}`), { status: 'pending', attempts: [] }, `VH-${n} waits without an attempt`);

    erp.setBehaviour({ mode: 'ok' });
    await waitFor('all of VH delivered', () => postedOrder(erp, 'VH').length === 5);
    t.deepEqual(postedOrder(erp, 'VH'), [1, 2, 3, 4, 5]);
    t.true(
      erp.postings().every((p) => p.deliveries === 1),
      'each posted once',
    );
  },
);

test('an ERP outage queues several messages of each key; when it is back each key is delivered first-in first-out', async (t) => {
  const { erp, sb, client } = await orderedEngine(t);
  erp.setBehaviour({ mode: 'fail', status: 503, times: -1 });
  const visits = ['VX', 'VY', 'VZ'];
  for (let n = 1; n <= 6; n++) for (const visit of visits) t.is(field(await client.send(adt(visit, n)), 'MSA', 1), 'AA');
  // Every head has been refused more than once: all 18 are queued behind the outage.
  await waitFor('every head retried', async () => {
    for (const visit of visits) if ((await status(sb, `${visit}-1`)).attempts.length < 2) return false;
    return true;
  });
  t.is(erp.postings().length, 0);
  erp.setBehaviour({ mode: 'slow', delayMs: 5, jitterMs: 40, times: -1 });
  await waitFor('18 postings', () => erp.postings().length === 18);
  for (const visit of visits) t.deepEqual(postedOrder(erp, visit), [1, 2, 3, 4, 5, 6], visit);
});
