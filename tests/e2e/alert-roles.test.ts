import test from 'ava';
import type { AlertInstanceJson, AlertWebhookBody } from '../../engine/ops/alerts/alert-api-types.ts';
import { uniqueName } from '../../scripts/lib/unique-name.ts';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, testChannel, waitFor, type TestEngine } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';
import { startWebhookReceiver } from '../support/webhook-receiver.ts';
import { sharedMongoUrl, sharedRedisUrl } from '../support/services.ts';
import { silentLogger } from '../../engine/log.ts';
import { AlertEvaluator } from '../../engine/ops/alerts/alert-evaluator.ts';
import { AlertInstanceStore } from '../../engine/ops/alerts/alert-instance-store.ts';
import type { AlertNotifier } from '../../engine/ops/alerts/alert-notifier.ts';
import { AlertRuleStore } from '../../engine/ops/alerts/alert-rule-store.ts';
import type { AlertSignals } from '../../engine/ops/alerts/alert-signals.ts';
import { RedisLease } from '../../engine/queue/lease.ts';
import { producerConnection } from '../../engine/queue/queues.ts';
import { Store } from '../../engine/store/store.ts';

const INTERVAL_MS = 200;

test('an ingest process serves the alerts API, two workers evaluate one at a time: one firing and one resolved webhook', async (t) => {
  const [erp, hooks] = await Promise.all([startErpSimulator({ port: 0 }), startWebhookReceiver()]);
  t.teardown(async () => (await erp.close(), await hooks.close()));
  const shared = { dbName: uniqueName('sbtest'), prefix: uniqueName('sbq') };
  const channels = [testChannel({ erpUrl: erp.url, retry: { attempts: 1000, initialDelayMs: 100, maxDelayMs: 300 } })];
  const alerting = {
    ALERT_EVAL_INTERVAL_MS: INTERVAL_MS,
    ALERT_WEBHOOK_URL: hooks.url,
    ALERT_WEBHOOK_SECRET: 'roles-test-secret-0123456789',
    ALERT_NOTIFY_INITIAL_DELAY_MS: 50,
  };
  const start = (role: 'ingest' | 'worker') => startTestEngine({ channels, ...shared, config: { SWITCHBOARD_ROLE: role, ...alerting } });
  const ingest = await start('ingest');
  const workers: TestEngine[] = [await start('worker'), await start('worker')];
  t.teardown(async () => {
    for (const sb of [ingest, ...workers]) await sb.close();
  });
  t.is(workers[0]!.engine.http, undefined, 'a worker serves no API');

  const api = async <T>(method: 'GET' | 'POST', url: string, payload?: object): Promise<T> => {
    const res = await ingest.engine.http!.inject({ method, url, headers: ingest.adminHeaders, ...(payload ? { payload } : {}) });
    if (res.statusCode >= 300) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
    return res.json<T>();
  };
  await api('POST', '/api/alert-rules', { id: 'erp-down', kind: 'destination-failing', destinationId: 'erp', notify: ['webhook'] });
  await api('POST', '/api/alert-rules/erp-down/deploy', {});

  erp.setBehaviour({ mode: 'fail', status: 503, times: -1 });
  const client = await MllpTestClient.connect(ingest.mllpPort);
  t.is(field(await client.send(channelsAdt('ROLES1')), 'MSA', 1), 'AA');
  client.close();
  const bodies = () => hooks.received().map((h) => JSON.parse(h.body) as AlertWebhookBody);
  const [fired] = await waitFor('the firing webhook', () => bodies().length > 0 && bodies());
  await waitFor('ten more evaluations', async () => {
    const a = await api<AlertInstanceJson>('GET', `/api/alerts/${fired!.alert.id}`);
    return Date.parse(a.lastEvaluatedAt) - Date.parse(a.firedAt!) >= 10 * INTERVAL_MS;
  });
  erp.setBehaviour({ mode: 'ok' });
  await waitFor('the resolved webhook', () => bodies().some((b) => b.event === 'resolved'));
  t.deepEqual(
    bodies().map((b) => `${b.event} ${b.alert.id}`),
    [`firing ${fired!.alert.id}`, `resolved ${fired!.alert.id}`],
  );
  t.is(
    (await api<{ items: AlertInstanceJson[] }>('GET', '/api/alerts/history?ruleId=erp-down')).items.length,
    1,
    'one alert, not one per worker',
  );
});

/** A small ADT^A01. */
function channelsAdt(controlId: string): string {
  return (
    `MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315083000||ADT^A01^ADT_A01|${controlId}|P|2.5.1\r` +
    'EVN|A01|20260315083000\rPID|1||4711^^^GENHOSP^MR||TEST^PATIENT||19700101|F\r' +
    `PV1|1|I|4W^412^B^GENHOSP||||||||||||||||V${controlId}\r`
  );
}

test('the evaluator passes only while it holds the lease; the holder keeps it through its rest and hands it over on close', async (t) => {
  const store = new Store({ url: sharedMongoUrl(), dbName: uniqueName('sbalerts') });
  await store.start();
  const redis = producerConnection(sharedRedisUrl());
  t.teardown(async () => (await store.close(), await redis.quit()));
  const key = `${uniqueName('sbq')}:alerts:lease`;
  const rules = new AlertRuleStore(store);
  const instances = new AlertInstanceStore(store);
  await Promise.all([rules.start(), instances.start()]);
  await rules.save({ id: 'depth', kind: 'queue-depth', above: 0 }, { origin: 'console', author: 'test' });
  await rules.setState('depth', { state: 'enabled', version: 1, updatedBy: 'test' });
  // One queue holding 3 jobs: the rule fires at the first pass of whichever evaluator holds the lease.
  const reads: string[] = [];
  const evaluator = (name: string) => {
    const signals = {
      read: async () => (
        reads.push(name),
        { kind: 'queue-depth', queues: [{ channelId: 'c', destinationId: 'd', depth: 3, oldestWaitingMs: 1 }] }
      ),
    } as unknown as AlertSignals;
    const notifier = { kick: () => undefined } as unknown as AlertNotifier;
    const lease = new RedisLease({ redis, key, ttlMs: 10_000 });
    return new AlertEvaluator({
      rules,
      instances,
      signals,
      notifier,
      lease,
      intervalMs: 60_000,
      channels: [],
      source: name,
      log: silentLogger(),
    });
  };
  const [a, b] = [evaluator('a'), evaluator('b')];
  t.true(await a.pass());
  t.false(await b.pass(), 'b does not evaluate while a holds the lease');
  t.true(await a.pass());
  t.deepEqual(reads, ['a', 'a']);
  t.deepEqual(
    (await instances.open()).map((i) => [i.ruleId, i.subjectKey, i.state]),
    [['depth', 'c/d', 'firing']],
  );
  t.true(a.leader && !b.leader);
  await a.close();
  t.true(await b.pass(), 'once a gives the lease up, b takes it');
  t.deepEqual(reads, ['a', 'a', 'b']);
  t.is((await instances.open()).length, 1, 'b goes on with the alert a opened');
});
