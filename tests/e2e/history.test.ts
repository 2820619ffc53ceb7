import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { startErpSimulator, type ErpSimulator } from '../../peers/erp-simulator.ts';
import { TEST_ADMIN, waitFor } from '../support/harness.ts';
import { signInOverHttp } from '../support/users.ts';
import { freePort, sendUntilAcked } from '../support/careful-sender.ts';
import { startPrivateMongo, startPrivateRedis } from '../support/services.ts';
import { uniqueName } from '../../scripts/lib/unique-name.ts';
import { spawnEngine, type EngineProcess } from '../support/engine-process.ts';
import { historyChannel } from '../fixtures/history-channel.ts';

const SENDERS = 3;
const PER_SENDER = 24;
const POISON = 'S1-V1-5';

/** Sender `s`, message `n`: two visits per sender, so each visit is an ordering key with a sequence. */
const message = (s: number, n: number) => {
  const visit = `S${s}-V${n % 2}`;
  const id = `${visit}-${n}`;
  const location = id === POISON ? 'POISON' : 'WARD';
  return {
    id,
    visit,
    n,
    text:
      `MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315083000||ADT^A08|${id}|P|2.5.1\r` +
      `EVN|A08|20260315${String(8 + Math.floor(n / 60)).padStart(2, '0')}${String(n % 60).padStart(2, '0')}00\r` +
      `PID|1||${visit}^^^GENHOSP^MR\rPV1|1|I|${location}${'|'.repeat(16)}${visit}\r`,
  };
};

async function history(t: import('ava').ExecutionContext, policy: 'block' | 'park') {
  const redis = await startPrivateRedis({ name: `history-${policy}` });
  const mongo = await startPrivateMongo({ name: `history-${policy}` });
  const erp: ErpSimulator = await startErpSimulator();
  erp.rejectMatching('POISON');
  const mllpPort = await freePort();
  const channelsDir = await mkdtemp(path.join(os.tmpdir(), `sb-history-${policy}-`));
  await writeFile(path.join(channelsDir, 'history.channel.json'), JSON.stringify(historyChannel(policy)));
  const env = {
    REDIS_URL: redis.url,
    MONGODB_URL: mongo.url,
    MONGODB_DB: uniqueName('sbhistory'),
    QUEUE_PREFIX: uniqueName('sbq'),
    ERP_BASE_URL: erp.url,
    MLLP_PORT: String(mllpPort),
    SWITCHBOARD_CHANNELS_DIR: channelsDir,
    RELAY_INTERVAL_MS: '200',
    RELAY_STALE_MS: '1000',
    STORE_TIMEOUT_MS: '1500',
    SWITCHBOARD_ADMIN_PASSWORD: TEST_ADMIN.password,
  };
  let ingest: EngineProcess | undefined;
  let worker: EngineProcess | undefined;
  // Registered before the engines start, so a failed start still stops the private services.
  t.teardown(async () => {
    await Promise.all([ingest?.kill(), worker?.kill()]);
    await erp.close();
    await redis.close();
    await mongo.close();
    await rm(channelsDir, { recursive: true, force: true });
  });
  ingest = await spawnEngine({ ...env, SWITCHBOARD_ROLE: 'ingest' });
  worker = await spawnEngine({ ...env, SWITCHBOARD_ROLE: 'worker' });

  const acked = new Set<string>();
  let stopped = false;
  const senders = Array.from({ length: SENDERS }, (_, s) =>
    sendUntilAcked(
      Array.from({ length: PER_SENDER }, (_, n) => message(s, n)),
      { port: () => mllpPort, acked, stop: () => stopped },
    ),
  );
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const chaos = (async () => {
    await pause(1500);
    await worker.kill('SIGKILL');
    worker = await spawnEngine({ ...env, SWITCHBOARD_ROLE: 'worker' });
    erp.setBehaviour({ mode: 'fail', status: 503, times: 15 });
    await pause(1500);
    await redis.wipeAndRestart();
    erp.setBehaviour({ mode: 'slow', delayMs: 100, jitterMs: 100, times: 20 });
    await pause(1500);
    await mongo.pause();
    await pause(2000);
    await mongo.resume();
    erp.setBehaviour({ mode: 'fail', status: 429, times: 5, retryAfterSeconds: 1 });
    await pause(1500);
    await ingest.kill('SIGKILL');
    ingest = await spawnEngine({ ...env, SWITCHBOARD_ROLE: 'ingest' });
    await pause(1000);
    await worker.kill('SIGKILL');
    worker = await spawnEngine({ ...env, SWITCHBOARD_ROLE: 'worker' });
  })();
  await Promise.all([chaos, ...senders]);
  stopped = true;
  t.is(acked.size, SENDERS * PER_SENDER, 'every message was acknowledged in the end');

  const client = new MongoClient(mongo.url);
  t.teardown(() => client.close());
  // A message is two documents (engine/store/message-state.ts): its content, and its state under the same _id.
  const db = client.db(env.MONGODB_DB);
  const contents = db.collection<{ _id: string; summary: { controlId: string } }>('messages');
  const states = db.collection<{ _id: string; status: string; deliveries: Record<string, { status: string; attempts: unknown[] }> }>(
    'message_states',
  );
  const openDeliveries = async () => states.countDocuments({ status: { $in: ['received', 'routed'] } });
  const controlIdOf = async (id: string) => (await contents.findOne({ _id: id }))?.summary.controlId;
  if (policy === 'block') {
    await waitFor(
      'everything but the poisoned key settled',
      async () =>
        (await states.countDocuments({ _id: (await contents.findOne({ 'summary.controlId': POISON }))?._id ?? '', status: 'dead' })) ===
          1 && (await openDeliveries()) <= PER_SENDER / 2,
      120_000,
    );
    erp.rejectMatching(undefined);
    const poisoned = await contents.findOne({ 'summary.controlId': POISON });
    const base = `http://127.0.0.1:${ingest.httpPort}`;
    const session = await signInOverHttp(base, 'admin', TEST_ADMIN.password);
    const res = await fetch(`${base}/api/replays`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...session },
      body: JSON.stringify({ messageIds: [poisoned!._id], reason: 'ERP fixed', dryRun: false }),
    });
    t.is(res.status, 202);
  }
  await waitFor('nothing left neither delivered nor dead', async () => (await openDeliveries()) === 0, 120_000).catch(
    async (err: unknown) => {
      const open = await states
        .find({ status: { $in: ['received', 'routed'] } })
        .limit(5)
        .toArray();
      const shown = await Promise.all(
        open.map(async (m) => ({
          id: await controlIdOf(m._id),
          status: m.status,
          d: Object.fromEntries(Object.entries(m.deliveries).map(([k, v]) => [k, [v.status, v.attempts.length]])),
        })),
      );
      t.log(JSON.stringify(shown));
      t.log(
        (worker?.lines ?? [])
          .filter((l) => l.includes('"warn"') || l.includes('"error"'))
          .slice(-10)
          .join('\n'),
      );
      throw err;
    },
  );

  t.is(await contents.countDocuments({}), SENDERS * PER_SENDER, 'each acknowledged message stored once');
  const all = await states.find({}).toArray();
  t.is(all.length, SENDERS * PER_SENDER, 'each with one state');
  const postings = erp.postings();
  for (const dest of ['erp', 'erpordered']) {
    const keys = postings.map((p) => p.idempotencyKey).filter((k) => k.endsWith(`:${dest}`));
    const expected = policy === 'park' ? SENDERS * PER_SENDER - 1 : SENDERS * PER_SENDER;
    t.is(new Set(keys).size, keys.length, `${dest}: no key posted twice`);
    t.is(keys.length, expected, `${dest}: every acknowledged message delivered once`);
  }
  t.is(all.filter((m) => m.status === 'dead').length, policy === 'park' ? 1 : 0);
  // Per-key order at the ordered destination: postings of a visit arrive in the order they were sent.
  const seq = (p: (typeof postings)[number]) => (p.body as { event: { occurredAt: string; encounter: { visitNumber: string } } }).event;
  for (let s = 0; s < SENDERS; s++) {
    for (const v of [0, 1]) {
      const visit = `S${s}-V${v}`;
      const order = postings
        .filter((p) => p.idempotencyKey.endsWith(':erpordered') && seq(p).encounter.visitNumber === visit)
        .map((p) => seq(p).occurredAt);
      t.deepEqual(order, [...order].sort(), `${visit} in order at the ordered destination`);
    }
  }
}

test.serial('history under faults, poison handled by block: acknowledged means delivered exactly once, in order per key', (t) =>
  history(t, 'block'),
);
test.serial('history under faults, poison handled by park: acknowledged means delivered exactly once or dead, in order per key', (t) =>
  history(t, 'park'),
);
