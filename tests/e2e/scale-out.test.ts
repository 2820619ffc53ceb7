import test from 'ava';
import { startErpSimulator } from '../peers/erp-simulator.ts';
import { waitFor } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';
import { sharedMongoUrl, sharedRedisUrl, uniqueName } from '../support/services.ts';
import { spawnEngine } from '../support/engine-process.ts';

test('one ingest process and two worker processes on one Redis and store deliver each message once', async (t) => {
  const erp = await startErpSimulator();
  const env = {
    REDIS_URL: sharedRedisUrl(),
    MONGODB_URL: sharedMongoUrl(),
    MONGODB_DB: uniqueName('sbscale'),
    QUEUE_PREFIX: uniqueName('sbq'),
    ERP_BASE_URL: erp.url,
    FHIR_API_TOKEN: 'scale-out-token',
  };
  const ingest = await spawnEngine(env, ['--role', 'ingest']);
  const workers = await Promise.all([spawnEngine(env, ['--role', 'worker']), spawnEngine(env, ['--role', 'worker'])]);
  t.teardown(async () => {
    await Promise.all([ingest, ...workers].map((p) => p.kill('SIGTERM')));
    await erp.close();
  });
  t.is(workers[0]!.httpPort, 0, 'a worker serves no HTTP');
  erp.setBehaviour({ mode: 'slow', delayMs: 20, times: -1 });
  const client = await MllpTestClient.connect(ingest.mllpPort);
  for (let i = 0; i < 40; i++) {
    const ack = await client.send(`MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315083000||ADT^A04|SO${i}|P|2.5.1\rPID|1||${i}^^^GENHOSP^MR\rPV1|1|O${'|'.repeat(17)}VSO${i}\r`);
    t.is(field(ack, 'MSA', 1), 'AA');
  }
  client.close();
  await waitFor('40 postings', () => erp.postings().length === 40, 60_000);
  t.true(erp.postings().every((p) => p.deliveries === 1), 'no key reached the ERP twice');
  // Each worker logs "delivered" after its store update, a moment after the ERP answered.
  const logged = () => workers.map((w) => w.lines.filter((l) => l.includes('"message":"delivered"')).length);
  await waitFor('40 deliveries logged', () => logged()[0]! + logged()[1]! >= 40, 30_000).catch(() => undefined);
  const delivered = logged();
  t.is(delivered[0]! + delivered[1]!, 40, `deliveries per worker: ${delivered.join(' + ')}`);
  t.log(`deliveries per worker: ${delivered.join(' + ')}`);
  t.false(ingest.lines.some((l) => l.includes('"message":"delivered"')), 'the ingest process delivers nothing');
});
