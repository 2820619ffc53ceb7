import test from 'ava';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { parseManifest } from '../../engine/ops/retention/archive-format.ts';
import { FlowStatus, StepStatus } from '../../engine/flows/flow-states.ts';
import type { FlowInstance } from '../../engine/store/flows.store.ts';
import type { RetentionRun } from '../../engine/store/retention-records.ts';
import type { MessageStatus } from '../../engine/store/states.ts';
import { STATES_COLLECTION } from '../../engine/store/store.ts';
import { pruneNow } from '../support/retention-api.ts';
import { startTestEngine, testChannel, waitFor, type TestEngine } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';
import { adtWithId, seedMessages, type Seeded } from '../support/retention-seed.ts';
import { sharedMongoUrl } from '../support/services.ts';
import { switchboard } from '../support/switchboard-cli.ts';
import { uniqueName } from '../../scripts/lib/unique-name.ts';

/**
 * Retention (issue 25): 10,000 messages of mixed ages and statuses, written through the store as if
 * received long ago; one pruning run asked for through the API; then what it kept, removed,
 * archived and recorded, and a message brought back by `switchboard archive restore` (the real
 * command line), found by search and delivered again by `switchboard replay`.
 */

/** The command line on this engine's store and queues. */
const cli = (sb: TestEngine, args: string[]) =>
  switchboard(args, {
    MONGODB_URL: sharedMongoUrl(),
    MONGODB_DB: sb.config.MONGODB_DB,
    REDIS_URL: sb.config.REDIS_URL,
    QUEUE_PREFIX: sb.config.QUEUE_PREFIX,
  });

const STATUSES: MessageStatus[] = ['delivered', 'filtered', 'dead', 'errored', 'partially-delivered', 'rejected', 'routed', 'received'];
const AGES = [2, 45, 120, 400];
const FAILED = new Set<MessageStatus>(['dead', 'errored', 'partially-delivered', 'rejected']);

/**
 * What must go, written from the rules as configured here, not from the engine's code: in flight
 * never; failed after 90 days (the floor); delivered and filtered after 30 days on ehr-mllp and after
 * 200 on lab-mllp (its own block).
 */
function mustGo(m: Seeded): boolean {
  if (m.status === 'routed' || m.status === 'received') return false;
  if (FAILED.has(m.status)) return m.ageDays > 90;
  return m.ageDays > (m.channelId === 'lab-mllp' ? 200 : 30);
}

async function api<T>(sb: TestEngine, method: 'GET' | 'POST', url: string): Promise<{ status: number; body: T }> {
  const res = await sb.engine.http!.inject({ method, url, headers: sb.adminHeaders });
  return { status: res.statusCode, body: res.json() as T };
}

test('pruning keeps what must stay, archives and removes the rest; a restored message is found and replayed', async (t) => {
  const erp = await startErpSimulator();
  const archiveDir = await mkdtemp(path.join(os.tmpdir(), 'sb-archive-'));
  t.teardown(() => rm(archiveDir, { recursive: true, force: true }));
  t.teardown(() => erp.close());
  const ehr = testChannel({ erpUrl: erp.url });
  const lab = { ...testChannel({ erpUrl: erp.url, id: 'lab-mllp' }), retention: { deliveredDays: 200 } };
  const sb = await startTestEngine({
    channels: [ehr, lab],
    dbName: uniqueName('sbretention'),
    config: {
      RETENTION_DELIVERED_DAYS: 30,
      RETENTION_FAILED_DAYS: 90,
      ARCHIVE_DIR: archiveDir,
      PRUNE_INTERVAL_MS: 3_600_000,
      PRUNE_BATCH: 500,
      PRUNE_PAUSE_MS: 0,
      PRUNE_REST_FACTOR: 0,
    },
  });
  t.teardown(() => sb.close());
  const store = sb.engine.store!;

  // A message from the wire, stored and delivered by the engine: the template of the seeded ones.
  const client = await MllpTestClient.connect(sb.mllpPort);
  t.is(field(await client.send(adtWithId('TEMPLATE1')), 'MSA', 1), 'AA');
  client.close();
  const wire = await waitFor(
    'the template delivered',
    async () => (await store.messages.list({ controlId: 'TEMPLATE1', status: 'delivered', limit: 1 }))[0],
  );
  const template = (await store.messages.get(wire._id))!;
  // Seeded messages in flight must stay in flight: no relay re-queues them meanwhile.
  await sb.engine.relay!.close();

  const plan = Array.from({ length: 10_000 }, (_, i) => ({
    channelId: i % 5 === 0 ? 'lab-mllp' : 'ehr-mllp',
    status: STATUSES[i % STATUSES.length]!,
    ageDays: AGES[Math.floor(i / STATUSES.length) % AGES.length]!,
    controlId: `RT${i}`,
  }));
  let mark = Date.now();
  const lap = (what: string) => {
    t.log(`${what}: ${((Date.now() - mark) / 1000).toFixed(1)} s`);
    mark = Date.now();
  };
  const seeded = await seedMessages(store, template, plan, Date.now());
  lap('seeded 10,000');
  const going = seeded.filter(mustGo);
  t.true(going.length > 3000 && going.length < 7000, `a mix: ${going.length} of 10,000 old enough`);

  const run = await pruneNow(sb);
  lap(`pruned ${going.length}`);
  t.is(run.state, 'done', run.error);
  t.log(JSON.stringify({ durationMs: run.durationMs, restedMs: run.restedMs, daysRead: run.daysRead, reclaimed: run.reclaimed }));
  const states = sb.engine.store!.collection<{ _id: string }>(STATES_COLLECTION);
  const contents = sb.engine.store!.collection<{ _id: string }>('messages');
  const left = new Set((await states.find({}, { projection: { _id: 1 } }).toArray()).map((d) => d._id));
  const leftContents = new Set((await contents.find({}, { projection: { _id: 1 } }).toArray()).map((d) => d._id));
  const wrong = seeded.filter((m) => left.has(m.id) === mustGo(m) || leftContents.has(m.id) === mustGo(m));
  t.deepEqual(
    wrong.slice(0, 5).map((m) => `${m.channelId} ${m.status} ${m.ageDays}d`),
    [],
    'kept: every message in flight, failed within 90 days, delivered within its channel figure; removed: the rest, both documents',
  );
  t.true(left.has(template._id), 'the new message stays');

  // The run's record, the manifest and the files agree with what went.
  const expected: Record<string, Record<string, number>> = {};
  for (const m of going) (expected[m.channelId] ??= {})[m.status] = (expected[m.channelId]![m.status] ?? 0) + 1;
  t.deepEqual(run.removed, expected, 'counts by channel and status');
  t.is(run.kept.unsettled, seeded.filter((m) => (m.status === 'routed' || m.status === 'received') && m.ageDays > 30).length);
  const manifest = parseManifest(await readFile(path.join(archiveDir, run.archive!.manifest!), 'utf8'));
  t.is(manifest.totals.messages, going.length, 'the manifest counts every message removed');
  t.is(manifest.sealed, false);
  const archived: Record<string, Record<string, number>> = {};
  for (const f of manifest.files) {
    const bytes = await readFile(path.join(archiveDir, f.file));
    t.is(createHash('sha256').update(bytes).digest('hex'), f.sha256, `sha256 of ${f.file}`);
    for (const [status, n] of Object.entries(f.byStatus))
      (archived[f.channelId] ??= {})[status] = (archived[f.channelId]![status] ?? 0) + n;
  }
  t.deepEqual(archived, expected, 'the archive holds, by channel and status, what was removed');
  t.true(
    manifest.files.every((f) => f.file === path.join(f.day, `${f.channelId}.${run._id}.ndjson.gz`)),
    'a file per day and channel',
  );

  // Reported: the runs list, the audit log, the metrics.
  t.is((await api<{ items: RetentionRun[] }>(sb, 'GET', '/api/retention/runs')).body.items[0]?._id, run._id);
  const audited = (
    await api<{ items: { actor: string; details: { removedTotal: number } }[] }>(sb, 'GET', '/api/audit?action=retention.run')
  ).body;
  t.like(audited.items[0], { actor: 'admin', details: { removedTotal: going.length } });
  const metrics = (await sb.engine.http!.inject({ method: 'GET', url: '/metrics', headers: sb.adminHeaders })).body;
  t.true(metrics.includes(`switchboard_retention_pruned_total{channel="ehr-mllp",status="dead"} ${expected['ehr-mllp']!.dead}`));
  t.regex(metrics, /switchboard_retention_last_run_timestamp_seconds \d+/);

  lap('checked');
  // A second run finds nothing more: the horizons' cursors moved past what was walked.
  const again = await pruneNow(sb);
  t.deepEqual(again.removed, {}, 'nothing more to remove');
  t.is(left.size, await states.countDocuments({}));

  lap('second run');
  // Restore one dead message of 120 days through the real command line, twice: once in the store.
  const lost = going.find((m) => m.channelId === 'ehr-mllp' && m.status === 'dead' && m.ageDays === 120)!;
  const file = path.join(archiveDir, lost.receivedAt.toISOString().slice(0, 10), `ehr-mllp.${run._id}.ndjson.gz`);
  const restored = await cli(sb, ['archive', 'restore', file, '--message', lost.id]);
  t.is(restored.code, 0, restored.stderr);
  t.regex(restored.stdout, /restored 1 of 1 messages .*checked against/);
  const twice = await cli(sb, ['archive', 'restore', file, '--message', lost.id]);
  t.is(twice.code, 0, twice.stderr);
  t.regex(twice.stdout, /restored 0 of 1 messages[\s\S]*1 already stored/);
  t.is(await states.countDocuments({ _id: lost.id }), 1, 'restoring twice does not duplicate');

  lap('restored twice');
  // A search is bounded by a window of at most 31 days: the day around the message's own receipt.
  const day = (offset: number) => new Date(lost.receivedAt.getTime() + offset * 86_400_000).toISOString();
  const window = `from=${day(-1)}&to=${day(1)}`;
  const found = (await api<{ items: { _id: string; status: string }[] }>(sb, 'GET', `/api/messages?controlId=${lost.controlId}&${window}`))
    .body;
  t.deepEqual(
    found.items.map((m) => [m._id, m.status]),
    [[lost.id, 'dead']],
    'search finds it, as it was',
  );

  const replay = await cli(sb, ['replay', '--message', lost.id, '--reason', 'restored from the archive for the ERP']);
  t.is(replay.code, 0, replay.stderr);
  await waitFor('the ERP received it', () => erp.postings().some((p) => p.idempotencyKey.startsWith(`${lost.id}:erp`)));
  await waitFor('delivered', async () => (await store.messages.get(lost.id))?.status === 'delivered');

  lap('replayed');
  // An altered archive file is refused, naming it.
  const bytes = await readFile(file);
  bytes[bytes.length - 5] = bytes[bytes.length - 5]! ^ 0xff;
  await writeFile(file, bytes);
  const refused = await cli(sb, ['archive', 'restore', file]);
  t.is(refused.code, 1);
  t.regex(refused.stderr, /ARCHIVE_INVALID: .* was altered/);
});

test('settled flow instances go after RETENTION_FLOW_DAYS; running, stalled and aborting ones stay, whatever their age', async (t) => {
  const erp = await startErpSimulator();
  t.teardown(() => erp.close());
  const sb = await startTestEngine({
    channels: [testChannel({ erpUrl: erp.url })],
    config: { RETENTION_FLOW_DAYS: 30, PRUNE_BATCH: 2, PRUNE_PAUSE_MS: 0, PRUNE_REST_FACTOR: 0 },
  });
  t.teardown(() => sb.close());
  const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000);
  const instance = (id: string, status: FlowStatus, ageDays: number): FlowInstance => ({
    _id: `msg-${id}:retired-flow:0`,
    flowId: 'retired-flow',
    flowVersion: 1,
    messageId: `msg-${id}`,
    channelId: 'ehr-mllp',
    eventIndex: 0,
    status,
    steps: { only: { status: StepStatus.done, attempts: 1, request: { userName: 'prac-1' }, output: { id: 'u-1' } } },
    createdAt: daysAgo(ageDays),
    updatedAt: daysAgo(ageDays),
  });
  const seeded = [
    instance('old-done-1', FlowStatus.completed, 45),
    instance('old-done-2', FlowStatus.completed, 400),
    instance('old-done-3', FlowStatus.completed, 31),
    instance('old-aborted', FlowStatus.aborted, 90),
    instance('new-done', FlowStatus.completed, 2),
    instance('old-stalled', FlowStatus.stalled, 400),
    instance('old-running', FlowStatus.running, 400),
    instance('old-aborting', FlowStatus.aborting, 400),
  ];
  const flows = sb.engine.store!.flows;
  t.is((await flows.create(seeded)).length, seeded.length);

  const run = await pruneNow(sb);
  t.is(run.state, 'done', run.error);
  t.deepEqual(run.flows, { removed: 4 });
  const left = await Promise.all(seeded.map(async (i) => [i.messageId, Boolean(await flows.get(i._id))]));
  t.deepEqual(Object.fromEntries(left), {
    'msg-old-done-1': false,
    'msg-old-done-2': false,
    'msg-old-done-3': false,
    'msg-old-aborted': false,
    'msg-new-done': true,
    'msg-old-stalled': true,
    'msg-old-running': true,
    'msg-old-aborting': true,
  });
  const audit = await api<{ items: { target: string; details: { flowInstancesRemoved?: number } }[] }>(
    sb,
    'GET',
    '/api/audit?action=retention.run',
  );
  t.is(audit.body.items.find((e) => e.target === `retention-run:${run._id}`)?.details.flowInstancesRemoved, 4);
});
