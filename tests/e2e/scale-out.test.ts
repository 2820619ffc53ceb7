import test from 'ava';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileBatchDestination } from '../../connectors/file-batch/file-batch.destination.ts';
import { parseConnectorConfig } from '../../engine/connector-config.ts';
import { silentLogger } from '../../engine/log.ts';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { waitFor } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';
import { sharedMongoUrl, sharedRedisUrl } from '../support/services.ts';
import { uniqueName } from '../../scripts/lib/unique-name.ts';
import { spawnEngine, type EngineProcess } from '../support/engine-process.ts';

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
    const ack = await client.send(
      `MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315083000||ADT^A04|SO${i}|P|2.5.1\r` +
        `PID|1||${i}^^^GENHOSP^MR\rPV1|1|O${'|'.repeat(17)}VSO${i}\r`,
    );
    t.is(field(ack, 'MSA', 1), 'AA');
  }
  client.close();
  await waitFor('40 postings', () => erp.postings().length === 40, 60_000);
  t.true(
    erp.postings().every((p) => p.deliveries === 1),
    'no key reached the ERP twice',
  );
  // Each worker logs "delivered" after its store update, a moment after the ERP answered.
  const logged = () => workers.map((w) => w.lines.filter((l) => l.includes('"message":"delivered"')).length);
  await waitFor('40 deliveries logged', () => logged()[0]! + logged()[1]! >= 40, 30_000).catch(() => undefined);
  const delivered = logged();
  t.is(delivered[0]! + delivered[1]!, 40, `deliveries per worker: ${delivered.join(' + ')}`);
  t.log(`deliveries per worker: ${delivered.join(' + ')}`);
  t.false(
    ingest.lines.some((l) => l.includes('"message":"delivered"')),
    'the ingest process delivers nothing',
  );
});

const charge = (i: number) =>
  `MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315083000||DFT^P03|BF${i}|P|2.5.1\r` +
  `EVN|P03|20260315083000\rPID|1||${i}^^^GENHOSP^MR\rPV1|1|O${'|'.repeat(17)}VBF${i}\r` +
  `FT1|1|||20260315083000||CG|99213^OFFICE VISIT^CPT|||1|${i + 0.25}^USD||CLIN01^CLINIC\r`;

/** The released batch files: their lines, and each file's trailer against its lines. */
async function releasedBatches(dir: string) {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.ndjson'));
  const lines: { idempotencyKey: string; amount: { value: number } }[] = [];
  const trailers: { file: string; trailer: { lines: number; controlTotal: number }; counted: { lines: number; controlTotal: number } }[] =
    [];
  for (const file of files) {
    const rows = (await readFile(path.join(dir, file), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const body = rows.filter((r) => !('trailer' in r)) as unknown as typeof lines;
    lines.push(...body);
    const total = body.reduce((sum, l) => sum + l.amount.value, 0);
    trailers.push({
      file,
      trailer: rows.find((r) => 'trailer' in r)?.trailer as { lines: number; controlTotal: number },
      counted: { lines: body.length, controlTotal: Math.round(total * 100) / 100 },
    });
  }
  return { lines, trailers };
}

test(
  'two worker processes writing one batch directory, one killed ' + 'and replaced, release every line once with right control totals',
  async (t) => {
    const directory = await mkdtemp(path.join(tmpdir(), 'sb-scale-batch-'));
    const channels = await mkdtemp(path.join(tmpdir(), 'sb-scale-channels-'));
    const config = { directory, format: 'ndjson', maxLines: 4, maxAgeMs: 600_000, orphanAfterMs: 2000 };
    await writeFile(
      path.join(channels, 'batch.channel.json'),
      JSON.stringify({
        id: 'batch',
        source: { kind: 'mllp', host: '127.0.0.1', port: '${MLLP_PORT}', idleTimeoutMs: 60_000 },
        accept: ['DFT^P03'],
        transforms: ['hl7v2.dft-to-charges'],
        destinations: [
          { id: 'gl', kind: 'file-batch', config, models: ['ChargeEvent'], retry: { attempts: 20, initialDelayMs: 100, maxDelayMs: 1000 } },
        ],
      }),
    );
    const env = {
      REDIS_URL: sharedRedisUrl(),
      MONGODB_URL: sharedMongoUrl(),
      MONGODB_DB: uniqueName('sbscale'),
      QUEUE_PREFIX: uniqueName('sbq'),
      SWITCHBOARD_CHANNELS_DIR: channels,
    };
    const processes: EngineProcess[] = [];
    const drain = fileBatchDestination.create(parseConnectorConfig(fileBatchDestination, { ...config, maxAgeMs: 100 }, 'test'), {
      log: silentLogger(),
    });
    t.teardown(async () => {
      await Promise.all(processes.map((p) => p.kill('SIGTERM')));
      await drain.close();
      await Promise.all([directory, channels].map((d) => rm(d, { recursive: true, force: true })));
    });
    const ingest = await spawnEngine(env, ['--role', 'ingest']);
    const workers = await Promise.all([spawnEngine(env, ['--role', 'worker']), spawnEngine(env, ['--role', 'worker'])]);
    processes.push(ingest, ...workers);
    const delivered = () => processes.reduce((n, p) => n + p.lines.filter((l) => l.includes('"message":"delivered"')).length, 0);
    const client = await MllpTestClient.connect(ingest.mllpPort);
    t.teardown(() => client.close());
    const send = async (from: number, to: number) => {
      for (let i = from; i < to; i++) t.is(field(await client.send(charge(i)), 'MSA', 1), 'AA');
    };
    await send(0, 30);
    await waitFor('30 deliveries', () => delivered() >= 30, 60_000);
    // A worker dies with lines in its spool (30 lines over two workers releasing every 4 leave some unreleased); another takes its place.
    await workers[0]!.kill('SIGKILL');
    processes.push(await spawnEngine(env, ['--role', 'worker']));
    await send(30, 60);
    await waitFor('60 deliveries', () => delivered() >= 60, 60_000);
    await Promise.all(processes.map((p) => p.kill('SIGTERM')));
    // What is still spooled is released by the next process to open the directory (here: this one, releasing after 100 ms).
    await drain.connect(new AbortController().signal);
    await waitFor('60 lines released', async () => (await releasedBatches(directory)).lines.length >= 60, 30_000).catch(() => undefined);
    const { lines, trailers } = await releasedBatches(directory);
    t.is(new Set(lines.map((l) => l.idempotencyKey)).size, 60, 'every delivery has a line');
    t.is(lines.length, 60, 'no line twice');
    t.deepEqual(
      lines.map((l) => l.amount.value).sort((a, b) => a - b),
      Array.from({ length: 60 }, (_, i) => i + 0.25),
    );
    for (const f of trailers) t.deepEqual(f.trailer, f.counted, `trailer of ${f.file}`);
    t.is(
      Math.round(trailers.reduce((sum, f) => sum + f.trailer.controlTotal, 0) * 100) / 100,
      1770 + 15,
      'control totals add up to the amounts sent',
    );
  },
);

/** The most requests that arrived within any one second (each window starting at a request). */
const busiestSecond = (times: number[]) => Math.max(0, ...times.map((start) => times.filter((x) => x >= start && x < start + 1000).length));

test('two worker processes share the ERP rate limit, and a 429 Retry-After seen by one pauses both', async (t) => {
  const RATE = 3;
  const RETRY_AFTER_S = 3;
  const erp = await startErpSimulator();
  const channels = await mkdtemp(path.join(tmpdir(), 'sb-scale-channels-'));
  await writeFile(
    path.join(channels, 'limited.channel.json'),
    JSON.stringify({
      id: 'limited',
      source: { kind: 'mllp', host: '127.0.0.1', port: '${MLLP_PORT}', idleTimeoutMs: 60_000 },
      accept: ['ADT^A04'],
      transforms: ['hl7v2.adt-to-encounter'],
      destinations: [
        {
          id: 'erp',
          kind: 'erp-rest',
          config: { baseUrl: '${ERP_BASE_URL}', timeoutMs: 5000, rateLimitPerSecond: RATE },
          models: ['EncounterEvent'],
          retry: { attempts: 20, initialDelayMs: 100, maxDelayMs: 1000 },
        },
      ],
    }),
  );
  const env = {
    REDIS_URL: sharedRedisUrl(),
    MONGODB_URL: sharedMongoUrl(),
    MONGODB_DB: uniqueName('sbscale'),
    QUEUE_PREFIX: uniqueName('sbq'),
    ERP_BASE_URL: erp.url,
    SWITCHBOARD_CHANNELS_DIR: channels,
  };
  const processes: EngineProcess[] = [];
  t.teardown(async () => {
    await Promise.all(processes.map((p) => p.kill('SIGTERM')));
    await erp.close();
    await rm(channels, { recursive: true, force: true });
  });
  processes.push(await spawnEngine(env, ['--role', 'ingest']));
  processes.push(...(await Promise.all([spawnEngine(env, ['--role', 'worker']), spawnEngine(env, ['--role', 'worker'])])));
  const client = await MllpTestClient.connect(processes[0]!.mllpPort);
  t.teardown(() => client.close());
  for (let i = 0; i < 30; i++) {
    const ack = await client.send(
      `MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315083000||ADT^A04|RL${i}|P|2.5.1\r` +
        `PID|1||${i}^^^GENHOSP^MR\rPV1|1|O${'|'.repeat(17)}VRL${i}\r`,
    );
    t.is(field(ack, 'MSA', 1), 'AA');
  }
  // Part-way, the ERP answers one request (whichever process sent it) 429 with Retry-After.
  await waitFor('10 requests', () => erp.requestTimes().length >= 10, 60_000);
  erp.setBehaviour({ mode: 'fail', status: 429, times: 1, retryAfterSeconds: RETRY_AFTER_S });
  await waitFor('30 postings', () => erp.postings().length === 30, 120_000);
  t.true(
    erp.postings().every((p) => p.deliveries === 1),
    'no key reached the ERP twice',
  );
  const delivered = processes.map((p) => p.lines.filter((l) => l.includes('"message":"delivered"')).length);
  t.log(`deliveries per process (ingest, worker, worker): ${delivered.join(', ')}`);

  const times = erp.requestTimes();
  t.log(`busiest second: ${busiestSecond(times)} requests`);
  // Requests start 1000/RATE ms apart across both processes: RATE in any second, plus one for each 1000/RATE ms a
  // process wakes late for its slot (a loaded machine only makes it fewer); 2 allows 666 ms late. Per-process limits
  // (the bug) let each worker send RATE a second and start with a burst of RATE: 17 at 5/s when this was written.
  t.true(busiestSecond(times) <= RATE + 2, `${busiestSecond(times)} requests in the busiest second (limit ${RATE})`);
  const [limited] = erp.failures();
  t.is(limited?.status, 429);
  // Only a request already let go before the pause was stored may arrive after the 429; then nothing until Retry-After passes.
  const duringPause = times.filter((x) => x > limited!.at && x < limited!.at + RETRY_AFTER_S * 1000 - 100);
  t.log(`requests in the pause: ${duringPause.length}`);
  t.true(duringPause.length <= 1, `${duringPause.length} requests arrived in the ${RETRY_AFTER_S} s pause`);
});
