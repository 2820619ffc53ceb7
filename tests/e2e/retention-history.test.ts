import test from 'ava';
import { AlertInstanceStore } from '../../engine/ops/alerts/alert-instance-store.ts';
import type { AlertInstanceRecord, NotificationRecord, SilenceRecord } from '../../engine/ops/alerts/alert-records.ts';
import type { ReplayRecord } from '../../engine/store/message-record.ts';
import type { RetentionRun } from '../../engine/store/retention-records.ts';
import { RETENTION_RUNS_COLLECTION } from '../../engine/store/retention.store.ts';
import { REPLAYS_COLLECTION } from '../../engine/store/store.ts';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, testChannel, type TestEngine } from '../support/harness.ts';
import { pruneNow } from '../support/retention-api.ts';
import { switchboard } from '../support/switchboard-cli.ts';
import { sharedMongoUrl } from '../support/services.ts';

/**
 * RETENTION_HISTORY_DAYS (issue 25, retention): the engine's records of its own history (alerts
 * and their notifications, silences, replays, pruning runs) go once they ended long enough ago;
 * what has not ended stays, whatever its age. Records are written as the engine writes them, dated
 * back; one run is asked for through the API, with a batch of 2 so that each kind takes batches.
 */

const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000);

function alert(id: string, state: AlertInstanceRecord['state'], ageDays: number): AlertInstanceRecord {
  const at = daysAgo(ageDays);
  return {
    _id: id,
    ruleId: 'erp-down',
    ruleVersion: 1,
    kind: 'destination-failing',
    severity: 'critical',
    subjectKey: `erp|${id}`,
    subject: { destinationId: 'erp' },
    state,
    // Never `open: true`: this engine has no rule erp-down, and its evaluator closes an open alert of
    // an unknown rule at its next pass. The pruner goes by the state alone.
    ...(state === 'resolved' ? { resolvedAt: at } : {}),
    value: 1,
    threshold: 0,
    summary: 'destination erp failing',
    startedAt: at,
    lastEvaluatedAt: at,
    firingNotified: true,
    history: [{ state, at, value: 1 }],
  };
}

const notification = (alertId: string, n: number): NotificationRecord =>
  ({
    _id: `${alertId}-n${n}`,
    alertId,
    ruleId: 'erp-down',
    event: 'firing',
    channel: 'webhook',
    state: 'sent',
    body: {},
    attempts: 1,
    createdAt: new Date(),
    updatedAt: new Date(),
  }) as unknown as NotificationRecord;

const silence = (id: string, untilDaysAgo: number, endedDaysAgo?: number): SilenceRecord => ({
  _id: id,
  ruleId: 'erp-down',
  until: daysAgo(untilDaysAgo),
  reason: 'ERP maintenance window',
  createdBy: 'support-user',
  createdAt: daysAgo(Math.max(untilDaysAgo, endedDaysAgo ?? 0) + 1),
  ...(endedDaysAgo === undefined ? {} : { endedAt: daysAgo(endedDaysAgo), endedBy: 'support-user' }),
});

const replay = (id: string, state: ReplayRecord['state'], ageDays: number): ReplayRecord => ({
  _id: id,
  at: daysAgo(ageDays + 1),
  requestedBy: 'support-user',
  reason: 'ERP fixed',
  dryRun: false,
  selection: { status: 'dead' },
  state,
  progress: { selected: 1, replayed: 1, refused: 0, skipped: 0 },
  heartbeatAt: daysAgo(ageDays),
  ...(state === 'done' ? { finishedAt: daysAgo(ageDays) } : {}),
  deliveries: [],
  refused: [],
});

const run = (id: string, state: RetentionRun['state'], ageDays: number): RetentionRun => ({
  _id: id,
  state,
  trigger: 'schedule',
  requestedBy: 'system',
  requestedAt: daysAgo(ageDays),
  removed: {},
  kept: { unsettled: 0, restored: 0 },
  daysRead: 0,
  restedMs: 0,
});

/** The ids left in a collection, sorted. */
const idsIn = async (sb: TestEngine, collection: string) =>
  (
    await sb.engine
      .store!.collection<{ _id: string }>(collection)
      .find({}, { projection: { _id: 1 } })
      .toArray()
  )
    .map((d) => d._id)
    .sort();

test("the engine's history goes RETENTION_HISTORY_DAYS after it ended; open alerts, running replays and runs stay", async (t) => {
  const erp = await startErpSimulator();
  t.teardown(() => erp.close());
  const sb = await startTestEngine({
    channels: [testChannel({ erpUrl: erp.url })],
    config: { RETENTION_HISTORY_DAYS: 30, PRUNE_BATCH: 2, PRUNE_PAUSE_MS: 0, PRUNE_REST_FACTOR: 0 },
  });
  t.teardown(() => sb.close());
  const store = sb.engine.store!;
  const alerts = new AlertInstanceStore(store);
  const seededAlerts = [
    alert('a-old-1', 'resolved', 40),
    alert('a-old-2', 'resolved', 400),
    alert('a-old-3', 'resolved', 31),
    alert('a-new', 'resolved', 2),
    alert('a-firing', 'firing', 400),
    alert('a-pending', 'pending', 400),
  ];
  for (const a of seededAlerts) {
    await alerts.put(a);
    for (const n of [1, 2]) await alerts.queue(notification(a._id, n));
  }
  // s-ended-early was ended 60 days ago but was set until 20 days ago: it goes by its until.
  for (const s of [silence('s-old', 45), silence('s-recent', 10), silence('s-ahead', -5), silence('s-ended-early', 20, 60)])
    await alerts.addSilence(s);
  await store
    .collection<ReplayRecord>(REPLAYS_COLLECTION)
    .insertMany([replay('r-old', 'done', 60), replay('r-new', 'done', 1), replay('r-running', 'running', 60)]);
  for (const r of [run('p-done', 'done', 90), run('p-failed', 'failed', 35), run('p-cut', 'interrupted', 50), run('p-new', 'done', 3)])
    await store.retention.insertRun(r);

  const done = await pruneNow(sb);
  t.is(done.state, 'done', done.error);
  t.deepEqual(done.history, { removed: { alerts: 3, alertNotifications: 6, silences: 1, replays: 1, retentionRuns: 3 } });
  t.deepEqual(await idsIn(sb, 'alert_instances'), ['a-firing', 'a-new', 'a-pending']);
  t.deepEqual(
    [...new Set((await store.collection<NotificationRecord>('alert_notifications').find({}).toArray()).map((n) => n.alertId))].sort(),
    ['a-firing', 'a-new', 'a-pending'],
    'the notifications of the alerts pruned went with them',
  );
  t.deepEqual(await idsIn(sb, 'alert_silences'), ['s-ahead', 's-ended-early', 's-recent']);
  t.deepEqual(await idsIn(sb, REPLAYS_COLLECTION), ['r-new', 'r-running']);
  t.deepEqual(await idsIn(sb, RETENTION_RUNS_COLLECTION), [done._id, 'p-new'].sort(), 'this run stays, and the recent one');

  const audited = (await sb.engine.http!.inject({ method: 'GET', url: '/api/audit?action=retention.run', headers: sb.adminHeaders })).json<{
    items: { target: string; details: { historyRemoved?: Record<string, number> } }[];
  }>();
  t.deepEqual(audited.items.find((e) => e.target === `retention-run:${done._id}`)?.details.historyRemoved, done.history?.removed);

  // The command line prunes by the same rule and says what it removed.
  await alerts.put(alert('a-old-4', 'resolved', 50));
  for (const n of [1, 2]) await alerts.queue(notification('a-old-4', n));
  const cli = await switchboard(['retention', 'run', '--actor', 'ops'], {
    MONGODB_URL: sharedMongoUrl(),
    MONGODB_DB: sb.config.MONGODB_DB,
    REDIS_URL: sb.config.REDIS_URL,
    QUEUE_PREFIX: sb.config.QUEUE_PREFIX,
    RETENTION_HISTORY_DAYS: '30',
  });
  t.is(cli.code, 0, cli.stderr);
  t.regex(cli.stdout, /history removed: 1 alerts, 2 alertNotifications, 0 silences, 0 replays, 0 retentionRuns/);
  t.deepEqual(await idsIn(sb, 'alert_instances'), ['a-firing', 'a-new', 'a-pending']);
});
