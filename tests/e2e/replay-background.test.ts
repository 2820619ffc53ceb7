import test from 'ava';
import { Store } from '../../engine/store/store.ts';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { spawnEngine, type EngineProcess } from '../support/engine-process.ts';
import { startTestEngine, TEST_ADMIN, testChannel, waitFor } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';
import { deadMessage } from '../support/seed.ts';
import { sharedMongoUrl, sharedRedisUrl } from '../support/services.ts';
import { uniqueName } from '../../scripts/lib/unique-name.ts';
import { signInOverHttp } from '../support/users.ts';

const adt = (id: string) =>
  `MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315083000||ADT^A01|${id}|P|2.5.1\r` +
  `EVN|A01|20260315083000\rPID|1||4711^^^GENHOSP^MR||ROE^RITA\rPV1|1|I|4W${'|'.repeat(16)}V${id}\r`;

test(
  'a delivered message is sent again on purpose only when the replay ' + 'asks for delivered ones, under a new key the peer takes as new',
  async (t) => {
    const erp = await startErpSimulator();
    const sb = await startTestEngine({ channels: [testChannel({ erpUrl: erp.url })] });
    t.teardown(async () => (await sb.close(), await erp.close()));
    const client = await MllpTestClient.connect(sb.mllpPort);
    t.is(field(await client.send(adt('RS1')), 'MSA', 1), 'AA');
    client.close();
    const [first] = await waitFor('delivered', () => (erp.postings().length === 1 ? erp.postings() : undefined));
    const [m] = await sb.engine.store!.messages.list({ controlId: 'RS1', limit: 1 });
    const http = (payload: object) => sb.engine.http!.inject({ method: 'POST', url: '/api/replays', headers: sb.adminHeaders, payload });

    const deadOnly = await http({ messageIds: [m!._id], reason: 'ERP restored from backup', dryRun: false });
    t.like(deadOnly.json(), { deliveries: 0 }, 'without status, only dead deliveries are taken');

    const dry = (
      await http({ messageIds: [m!._id], filter: { status: 'delivered' }, reason: 'ERP restored from backup', dryRun: true })
    ).json();
    t.like(dry, { dryRun: true, deliveries: 1 });
    t.deepEqual(dry.changes[0].diff, [], 'the same transforms: nothing would change');

    const resend = await http({ messageIds: [m!._id], filter: { status: 'delivered' }, reason: 'ERP restored from backup', dryRun: false });
    t.is(resend.statusCode, 202);
    const replayId = resend.json().replayId as string;
    await waitFor('sent again', () => erp.postings().length === 2);
    const again = erp.postings().find((p) => p.idempotencyKey !== first!.idempotencyKey)!;
    t.is(again.idempotencyKey, `${m!._id}:erp:${replayId}`);
    t.is(first!.idempotencyKey, `${m!._id}:erp`);

    const stored = await waitFor('settled', async () => {
      const s = await sb.engine.store!.messages.get(m!._id);
      return s?.status === 'delivered' && s.deliveries.erp!.attempts.length === 2 ? s : undefined;
    });
    t.deepEqual(
      stored.deliveries.erp!.attempts.map((a) => [a.outcome, a.replayId]),
      [
        ['delivered', undefined],
        ['delivered', replayId],
      ],
    );
    t.is(stored.deliveries.erp!.idempotencyKey, again.idempotencyKey);
    const record = await waitFor('recorded', async () => {
      const r = (await sb.engine.http!.inject({ method: 'GET', url: `/api/replays/${replayId}`, headers: sb.adminHeaders })).json();
      return r.state === 'done' ? r : undefined;
    });
    t.deepEqual(
      record.deliveries.map((d: { idempotencyKey: string }) => d.idempotencyKey),
      [again.idempotencyKey],
    );
    t.is((await sb.engine.http!.inject({ method: 'GET', url: '/api/replays/none', headers: sb.adminHeaders })).statusCode, 404);
  },
);

const SEEDED = 800;

test(
  `a replay of ${SEEDED} dead deliveries whose engine is killed with ` +
    'SIGKILL part-way is resumed by the next engine; each is delivered once',
  async (t) => {
    const erp = await startErpSimulator({ port: 0 });
    const env = {
      REDIS_URL: sharedRedisUrl(),
      MONGODB_URL: sharedMongoUrl(),
      MONGODB_DB: uniqueName('sbreplaykill'),
      QUEUE_PREFIX: uniqueName('sbq'),
      ERP_BASE_URL: erp.url,
      FHIR_API_TOKEN: 'replay-kill-token',
      RELAY_INTERVAL_MS: '200',
      RELAY_STALE_MS: '500',
      REPLAY_STALE_MS: '1000',
      SWITCHBOARD_ADMIN_PASSWORD: TEST_ADMIN.password,
    };
    let engine: EngineProcess = await spawnEngine(env);
    const store = new Store({ url: env.MONGODB_URL, dbName: env.MONGODB_DB });
    await store.start();
    t.teardown(async () => (await engine.kill(), await store.close(), await erp.close()));
    for (let i = 0; i < SEEDED; i++) await store.messages.insert(deadMessage(i));

    erp.setBehaviour({ mode: 'slow', delayMs: 5, times: -1 });
    const base = `http://127.0.0.1:${engine.httpPort}`;
    const session = await signInOverHttp(base, 'admin', TEST_ADMIN.password);
    const res = await fetch(`${base}/api/replays`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...session },
      body: JSON.stringify({ filter: { destination: 'erp' }, reason: 'ERP outage over', dryRun: false }),
    });
    t.is(res.status, 202);
    const { replayId, deliveries } = (await res.json()) as { replayId: string; deliveries: number };
    t.is(deliveries, SEEDED);

    const midway = await waitFor('the replay part-way', async () => {
      const r = await store.replays.get(replayId);
      return r && r.progress.replayed > 0 && r.progress.replayed < SEEDED / 2 ? r : undefined;
    });
    await engine.kill('SIGKILL');
    t.is(midway.state, 'running');
    const atKill = (await store.replays.get(replayId))!;
    t.true(atKill.progress.replayed < SEEDED);
    t.log(`killed with ${atKill.progress.replayed} of ${SEEDED} set back to pending (as last saved)`);

    engine = await spawnEngine(env);
    const done = await waitFor(
      'the replay resumed and done',
      async () => {
        const r = await store.replays.get(replayId);
        return r?.state === 'done' ? r : undefined;
      },
      120_000,
    ).catch(async (err: unknown) => {
      t.log(JSON.stringify(await store.replays.get(replayId).then((r) => r && { ...r, deliveries: r.deliveries.length })));
      t.log(
        engine.lines
          .filter((l) => l.includes('replay') || l.includes('"warn"') || l.includes('"error"'))
          .slice(-10)
          .join('\n'),
      );
      throw err;
    });
    t.like(done.progress, { selected: SEEDED, replayed: SEEDED, refused: 0 });
    t.is(new Set(done.deliveries.map((d) => d.messageId)).size, SEEDED, 'every message taken once');
    t.true(engine.lines.some((l) => l.includes('"replay resumed"')));
    await waitFor(
      'all delivered',
      async () => (await store.messages.list({ status: 'delivered', limit: SEEDED + 1 })).length === SEEDED,
      180_000,
    );
    const keys = erp.postings().map((p) => p.idempotencyKey);
    t.is(keys.length, SEEDED, 'each delivered once per destination, counted at the peer by key');
    t.is(new Set(keys).size, SEEDED);
  },
);
