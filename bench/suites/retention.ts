/**
 * Retention (issue 25): intake's MLLP ACK latency without pruning and while the pruner removes a
 * large backlog, in one engine process (`switchboard start`, role all: intake, deliveries and the
 * pruner share its event loop and its store). The backlog (`backlog` messages of the mix, received
 * 60 to 90 days ago, 97% delivered, 3% dead) is written through Store before the load; the engine
 * keeps delivered messages 30 days, failed 90, and archives to a directory. The same open-loop load
 * (bench/load/open-loop.ts: no coordinated omission) runs once before the run is asked for and once
 * while it runs; the figure is the ratio of ACK p50 and p95 (the issue wants within 2×). Also: how
 * long finding the candidates takes by day equality (what the pruner does) against one range on
 * `receivedAt` (what FerretDB 1.24 cannot pass down), the pruner's own rate, and the PostgreSQL
 * tables' size before, after the run (which ends with `compact`: a plain VACUUM ANALYZE on
 * FerretDB) and after the next load (freed space reused, or the table grown).
 * The shared PostgreSQL's index trigger is the one installed when the services started; the bench
 * gives its own tables the `receivedDay` GIN index of the current scripts/ferretdb-indexes.sql.
 */
import { messageIdAt } from '../../engine/ids.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BenchContext } from '../lib/context.ts';
import { localPg, runPsql } from '../lib/pg-admin.ts';
import { round } from '../lib/stats.ts';
import { withEngine, type EngineSession } from '../engine/engine-session.ts';
import { openLoopRun } from './end-to-end.ts';
import { engineRecords } from './store-floor.ts';
import { requestPruningRun } from '../../engine/ops/retention/pruner.ts';
import type { MessageRecord } from '../../engine/store/message-record.ts';
import type { RetentionRun } from '../../engine/store/retention-records.ts';
import { Store, STATES_COLLECTION } from '../../engine/store/store.ts';

const DAY = 86_400_000;

export interface AckFigures {
  acked: number;
  achievedPerSecond: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface RetentionBenchResult {
  backlog: number;
  rate: number;
  seconds: number;
  load: string;
  /** One day's states (`day`, of `days` stored): by day equality against a range on receivedAt. */
  candidates: { days: number; day: string; byDayMs: number; byDay: number; byRangeMs: number; byRange: number };
  without: AckFigures;
  during: AckFigures;
  ratio: { p50: number; p95: number };
  run: { removed: number; durationMs: number; restedMs: number; perSecond: number; runningThroughLoad: boolean };
  reclaimed: Record<string, number>;
  /** Bytes of the PostgreSQL tables (with their indexes and TOAST) of messages and states. */
  sizes: { before: number; afterRun: number; afterNextLoad: number };
}

/** Writes `count` messages received 60 to 90 days before `now`, 64 at a time. */
async function seedBacklog(store: Store, count: number, now: number): Promise<void> {
  const templates = (await engineRecords(600, 5)).filter((r) => Object.keys(r.deliveries).length > 0);
  const make = (i: number): MessageRecord => {
    const t = templates[i % templates.length]!;
    const receivedAt = new Date(now - 90 * DAY + Math.floor((i * 30 * DAY) / count));
    const id = messageIdAt(receivedAt.getTime());
    const dead = i % 33 === 0;
    const deliveries = Object.fromEntries(
      Object.entries(t.deliveries).map(([d, v]) => [d, { ...v, status: dead ? ('dead' as const) : ('delivered' as const) }]),
    );
    return {
      ...t,
      _id: id,
      dedupeKey: `backlog|${id}`,
      receivedAt,
      updatedAt: receivedAt,
      status: dead ? 'dead' : 'delivered',
      deliveries,
    };
  };
  for (let i = 0; i < count; i += 64)
    await Promise.all(Array.from({ length: Math.min(64, count - i) }, (_, k) => store.messages.insert(make(i + k))));
}

/** The receivedDay GIN index of scripts/ferretdb-indexes.sql on this database's tables, and their size. */
async function pg(db: string) {
  const server = localPg();
  const tables = `SELECT c.oid::regclass AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = '${db}' AND c.relkind = 'r' AND (c.relname LIKE 'messages\\_%' OR c.relname LIKE 'message\\_states\\_%')`;
  return {
    index: () =>
      runPsql(server, 'ferretdb', [
        `DO $$ DECLARE r record; BEGIN FOR r IN ${tables} LOOP EXECUTE format(` +
          `'CREATE INDEX IF NOT EXISTS %I ON %s USING gin ((_jsonb->''receivedDay'')) WITH (fastupdate = off)', ` +
          `'sb_received_day_' || md5(r.t::text), r.t); END LOOP; END $$`,
      ]),
    size: async () => Number((await runPsql(server, 'ferretdb', [`SELECT sum(pg_total_relation_size(t)) FROM (${tables}) x`])).trim()),
  };
}

async function ackFigures(ctx: BenchContext, s: EngineSession, rate: number, seconds: number): Promise<AckFigures> {
  const { row, records } = await openLoopRun(ctx, s, { rate, seconds, drainMs: 30_000, connections: 16 });
  const ms = records.filter((r) => r.ackAt !== undefined).map((r) => r.ackAt! - r.dueAt);
  const sorted = Float64Array.from(ms).sort();
  const at = (p: number) => round(sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? 0);
  return { acked: ms.length, achievedPerSecond: row.load.achievedPerSecond, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: at(1) };
}

async function waitRun(store: Store, id: string, until: (r: RetentionRun) => boolean, ms: number): Promise<RetentionRun> {
  for (const deadline = Date.now() + ms; ;) {
    const run = await store.retention.getRun(id);
    if (run && until(run)) return run;
    if (Date.now() > deadline) throw new Error(`pruning run ${id} not there in time (state ${run?.state})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function runRetention(
  ctx: BenchContext,
  o: { backlog?: number; rate?: number; seconds?: number } = {},
): Promise<RetentionBenchResult> {
  const backlog = o.backlog ?? (ctx.quick ? 10_000 : 30_000);
  const rate = o.rate ?? 100;
  const seconds = o.seconds ?? ctx.seconds(30, 10);
  const archiveDir = await mkdtemp(path.join(os.tmpdir(), 'sb-bench-archive-'));
  const env = { RETENTION_DELIVERED_DAYS: '30', RETENTION_FAILED_DAYS: '90', ARCHIVE_DIR: archiveDir, PRUNE_INTERVAL_MS: '3600000' };
  try {
    return await withEngine(ctx, { label: 'retention', role: 'all', env }, async (s) => {
      const store = new Store({ url: ctx.mongoUrl, dbName: s.db });
      await store.start();
      try {
        const tables = await pg(s.db);
        await tables.index();
        const now = Date.now();
        await seedBacklog(store, backlog, now);
        await tables.index();
        console.log(`  retention: ${backlog} messages of 60 to 90 days stored`);
        const candidates = await measureCandidates(store);
        const before = await tables.size();
        const without = await ackFigures(ctx, s, rate, seconds);
        const asked = await requestPruningRun(store, 'api', 'bench');
        await waitRun(store, asked._id, (r) => r.state !== 'requested', 60_000);
        const during = await ackFigures(ctx, s, rate, seconds);
        const runningThroughLoad = (await store.retention.getRun(asked._id))?.state === 'running';
        const run = await waitRun(store, asked._id, (r) => r.state === 'done' || r.state === 'failed', 60 * 60_000);
        if (run.state !== 'done') throw new Error(`pruning run failed: ${run.error}`);
        const afterRun = await tables.size();
        await ackFigures(ctx, s, rate, seconds);
        const removed = Object.values(run.removed).reduce((n, b) => n + Object.values(b).reduce((x, y) => x + y, 0), 0);
        const result: RetentionBenchResult = {
          backlog,
          rate,
          seconds,
          load: os
            .loadavg()
            .map((l) => l.toFixed(2))
            .join(' '),
          candidates,
          without,
          during,
          ratio: { p50: round(during.p50 / without.p50, 2), p95: round(during.p95 / without.p95, 2) },
          run: {
            removed,
            durationMs: Math.round(run.durationMs ?? 0),
            restedMs: Math.round(run.restedMs),
            perSecond: round(removed / ((run.durationMs ?? 1) / 1000), 1),
            runningThroughLoad,
          },
          reclaimed: run.reclaimed ?? {},
          sizes: { before, afterRun, afterNextLoad: await tables.size() },
        };
        console.log(
          `  retention: ACK p50 ${without.p50} → ${during.p50} ms (×${result.ratio.p50}), p95 ${without.p95} → ${during.p95} ms ` +
            `(×${result.ratio.p95}); pruned ${removed} in ${(result.run.durationMs / 1000).toFixed(0)} s; load ${result.load}`,
        );
        return result;
      } finally {
        await store.close();
      }
    });
  } finally {
    await rm(archiveDir, { recursive: true, force: true });
  }
}

/**
 * Finding one day's candidates, as each scheduled run does once the backlog is gone: by equality on
 * `receivedDay` (what the pruner does, an index in PostgreSQL) against the range on `receivedAt`
 * over the same day (which FerretDB 1.24 does not pass down: it reads every state).
 */
async function measureCandidates(store: Store): Promise<RetentionBenchResult['candidates']> {
  const stored = await store.retention.storedDays();
  const day = stored[Math.floor(stored.length / 2)]!;
  let t = performance.now();
  let byDay = 0;
  await store.retention.eachStateOfDay(day, async (states) => void (byDay += states.length));
  const byDayMs = Math.round(performance.now() - t);
  t = performance.now();
  const from = new Date(`${day}T00:00:00.000Z`);
  const range = { receivedAt: { $gte: from, $lt: new Date(from.getTime() + DAY) } };
  const projection = { _id: 1, channelId: 1, status: 1, receivedAt: 1, updatedAt: 1 };
  const byRange = (await store.collection(STATES_COLLECTION).find(range, { projection }).toArray()).length;
  return { days: stored.length, day, byDayMs, byDay, byRangeMs: Math.round(performance.now() - t), byRange };
}

/** The result as the Markdown lines of bench.md (docs/performance.md quotes it). */
export function retentionMarkdown(r: RetentionBenchResult): string[] {
  const mib = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;
  const row = (name: string, a: AckFigures) =>
    `| ${name} | ${a.acked} | ${a.achievedPerSecond} | ${a.p50} | ${a.p95} | ${a.p99} | ${a.max} |`;
  return [
    `**Retention** (${r.backlog} messages of 60 to 90 days, ${r.rate} msg/s offered for ${r.seconds} s, one engine process, ` +
      `load average ${r.load} at the end)`,
    '',
    '| intake | ACKs | achieved/s | ACK p50 ms | p95 | p99 | max |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    row('without pruning', r.without),
    row('while pruning', r.during),
    '',
    `Ratio while pruning: p50 ×${r.ratio.p50}, p95 ×${r.ratio.p95}. The run removed ${r.run.removed} messages (archived first) in ` +
      `${(r.run.durationMs / 1000).toFixed(0)} s (${r.run.perSecond}/s, ${(r.run.restedMs / 1000).toFixed(0)} s of it resting)` +
      `${r.run.runningThroughLoad ? ', still running when the load ended' : ', and ended before the load did'}. One day's candidates ` +
      `(${r.candidates.day}, one of ${r.candidates.days} days stored): by equality on receivedDay ${r.candidates.byDayMs} ms ` +
      `(${r.candidates.byDay} states), by a range on receivedAt ${r.candidates.byRangeMs} ms (${r.candidates.byRange}). ` +
      `Tables: ${mib(r.sizes.before)} before, ${mib(r.sizes.afterRun)} after the ` +
      `run and its compact (bytes freed reported: ${JSON.stringify(r.reclaimed)}), ${mib(r.sizes.afterNextLoad)} after the next load.`,
    '',
  ];
}
