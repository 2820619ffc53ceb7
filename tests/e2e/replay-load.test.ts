import test from 'ava';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, testChannel, waitFor } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';
import { deadMessage } from '../support/seed.ts';

const DEAD = 3000;

test(`replaying ${DEAD} dead deliveries does not starve live traffic`, async (t) => {
  const erp = await startErpSimulator();
  const sb = await startTestEngine({ channels: [testChannel({ erpUrl: erp.url })], config: { DELIVERY_CONCURRENCY: 4 } });
  t.teardown(async () => (await sb.close(), await erp.close()));
  for (let i = 0; i < DEAD; i++) await sb.engine.store!.messages.insert(deadMessage(i));
  erp.setBehaviour({ mode: 'slow', delayMs: 10, times: -1 });

  // The replay is requested, and live messages arrive while it is being queued and worked off.
  const replay = sb.engine.http!.inject({
    method: 'POST',
    url: '/api/replays',
    headers: sb.adminHeaders,
    payload: { filter: { destination: 'erp' }, reason: 'ERP outage over', dryRun: false },
  });
  await waitFor('the replay under way', () => erp.postings().length > 50, 60_000);
  const client = await MllpTestClient.connect(sb.mllpPort);
  for (let i = 0; i < 10; i++)
    t.is(
      field(
        await client.send(
          `MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315083000||ADT^A04|LIVE${i}|P|2.5.1\r` +
            `PID|1||L${i}^^^GENHOSP^MR\rPV1|1|O${'|'.repeat(17)}VL${i}\r`,
        ),
        'MSA',
        1,
      ),
      'AA',
    );
  client.close();
  await waitFor(
    'the live messages delivered',
    async () =>
      (await sb.engine.store!.messages.list({ status: 'delivered', limit: 500 })).filter((m) => m.summary?.controlId.startsWith('LIVE'))
        .length === 10,
    60_000,
  );
  const replayedSoFar = erp.postings().filter((p) => JSON.stringify(p.body).includes('"VB')).length;
  t.log(`replayed deliveries done when the 10 live ones were: ${replayedSoFar} of ${DEAD}`);
  t.true(replayedSoFar < DEAD / 2, 'live traffic went ahead of most of the replay backlog');
  const done = await replay;
  t.is(done.statusCode, 202);
  t.is(done.json().deliveries, DEAD);
});
