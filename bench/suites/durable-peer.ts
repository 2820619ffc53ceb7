/**
 * The durable peer, in the same run: Apache Camel 4 (peers/camel: camel-mllp → camel-sql INSERT into
 * PostgreSQL through a HikariCP pool → ACK) beside the engine's `--role ingest` and `--role all`.
 * Every one of them ACKs after a durable commit in the same PostgreSQL: the engine's through FerretDB,
 * Camel's an autocommit INSERT into a table of its own database (`sbbench_<run>_camel`, made before
 * the suite and dropped after it). Same load as the peer suite: the mix, 16 persistent connections,
 * closed loop, one message in flight each, every ACK checked to be the one for the message sent.
 * - One unmeasured run per server first (10 s, 5 s with --quick): the JVM's JIT, the pools and the
 *   caches warm for all alike.
 * - Rounds (3; 1 with --quick): each server once per round, the first of each round in turn; the
 *   ratios are taken within each round, where the servers share the minutes of a shared machine.
 * - After each run of `engine all`, the suite waits until its deliveries to the ERP simulator stop
 *   (60 s at most), so that its backlog does not run into the next server's minutes.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { ClosedLoopResult } from '../load/closed-loop.ts';
import type { BenchContext } from '../lib/context.ts';
import { RESULTS } from '../lib/processes.ts';
import { localPg, runPsql } from '../lib/pg-admin.ts';
import { cpuSampler, type CpuUse } from '../lib/cpu.ts';
import { median, ratio, round } from '../lib/stats.ts';
import type { ErpSimulator } from '../../peers/erp-simulator.ts';
import { withEngine } from '../engine/engine-session.ts';
import { startCamelPeer } from '../servers/camel-peer.ts';
import { closedLoop, nextLabel } from './floors.ts';

export const DURABLE_SERVERS = ['Camel', 'engine ingest', 'engine all'] as const;
export type DurableServer = (typeof DURABLE_SERVERS)[number];

/** What Camel's route inserts into: what a Camel user would store of each message. */
const TABLE =
  'CREATE TABLE hl7_message (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, ' +
  'received_at timestamptz NOT NULL DEFAULT now(), control_id text NOT NULL, message text NOT NULL)';

export interface DurablePeerRow {
  server: DurableServer;
  /** 1, 2, …: in each round every server is measured once, in the same minutes. */
  round: number;
  result: ClosedLoopResult;
  /** CPU seconds during the run: `server` (its listening process), `machine`, and postgres, ferretdb, redis-server. */
  cpu: CpuUse;
  /** `engine all`: seconds its deliveries went on after the load stopped. */
  drainSeconds?: number;
}

interface Listener {
  port: number;
  pid: number;
  /** `engine all`: its ERP simulator, whose postings tell when its deliveries stop. */
  erp?: ErpSimulator;
}

export async function runDurablePeer(ctx: BenchContext): Promise<DurablePeerRow[]> {
  const pg = localPg();
  const db = `sbbench_${ctx.run}_camel`;
  const dir = path.join(RESULTS, 'runs', ctx.run);
  await mkdir(dir, { recursive: true });
  await runPsql(pg, 'postgres', [`DROP DATABASE IF EXISTS ${db}`, `CREATE DATABASE ${db}`]);
  try {
    await runPsql(pg, db, [TABLE]);
    const camel = await startCamelPeer({ pg, db, logFile: path.join(dir, 'camel.log') });
    try {
      const rows = await withEngine(ctx, { label: 'durable-ingest', role: 'ingest' }, (ingest) =>
        withEngine(ctx, { label: 'durable-all', role: 'all' }, (all) =>
          measureRounds(ctx, {
            Camel: camel,
            'engine ingest': { port: ingest.port, pid: ingest.main.pid },
            'engine all': { port: all.port, pid: all.main.pid, erp: all.erp },
          }),
        ),
      );
      const stored = (await runPsql(pg, db, ['SELECT count(*) FROM hl7_message'])).trim();
      console.log(`  Camel's table holds ${stored} rows (the measured AAs, the warm-up's and those sent outside the measured window)`);
      return rows;
    } finally {
      await camel.stop();
    }
  } finally {
    await runPsql(pg, 'postgres', [`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`]);
  }
}

async function measureRounds(ctx: BenchContext, targets: Record<DurableServer, Listener>): Promise<DurablePeerRow[]> {
  for (const server of DURABLE_SERVERS) {
    const warm = await measure(ctx, targets[server], ctx.seconds(10, 5) * 1000);
    console.log(`  warm-up, ${server} x16: ${warm.result.perSecond} msg/s (not counted)`);
  }
  const rows: DurablePeerRow[] = [];
  const rounds = ctx.quick ? 1 : 3;
  for (let round = 1; round <= rounds; round++) {
    for (let i = 0; i < DURABLE_SERVERS.length; i++) {
      const server = DURABLE_SERVERS[(round - 1 + i) % DURABLE_SERVERS.length]!;
      const row: DurablePeerRow = { server, round, ...(await measure(ctx, targets[server])) };
      rows.push(row);
      const codes = Object.entries(row.result.codes)
        .map(([c, n]) => `${c} ${n}`)
        .join(', ');
      console.log(
        `  round ${round}, ${server} x16: ${row.result.perSecond} msg/s, p99 ${row.result.latencyMs.p99} ms, ` +
          `server CPU ${row.cpu.server} s, machine CPU ${row.cpu.machine} s (${codes}; ${row.result.spurious} spurious, ` +
          `${row.result.errors} errors${row.result.firstError ? `: ${row.result.firstError}` : ''})` +
          `${row.drainSeconds !== undefined ? `, deliveries drained in ${row.drainSeconds} s` : ''}`,
      );
    }
  }
  return rows;
}

/**
 * One closed-loop run at 16 connections (`durationMs`: the warm-up's; default the suites' usual run) with
 * the CPU it took; for `engine all`, then the wait for its deliveries.
 */
async function measure(ctx: BenchContext, t: Listener, durationMs?: number): Promise<Omit<DurablePeerRow, 'server' | 'round'>> {
  const cpu = await cpuSampler({ server: [t.pid] });
  const result = await closedLoop(ctx, { port: t.port, connections: 16, label: nextLabel(), ...(durationMs ? { durationMs } : {}) });
  const used = await cpu.done();
  if (!t.erp) return { result, cpu: used };
  return { result, cpu: used, drainSeconds: await deliveriesSettled(t.erp) };
}

/** Waits until the ERP simulator has had no new posting for 1 s (60 s at most); the seconds waited. */
async function deliveriesSettled(erp: ErpSimulator): Promise<number> {
  const start = Date.now();
  let count = erp.requestTimes().length;
  let still = Date.now();
  while (Date.now() - still < 1000 && Date.now() - start < 60_000) {
    await new Promise((r) => setTimeout(r, 100));
    const next = erp.requestTimes().length;
    if (next !== count) [count, still] = [next, Date.now()];
  }
  return round((still - start) / 1000, 1);
}

/** `a ÷ b` in msg/s within each round (the same minutes), and their median; undefined without a round with both. */
export function durableRatio(
  rows: readonly DurablePeerRow[],
  a: DurableServer,
  b: DurableServer,
): { median: number; rounds: number[] } | undefined {
  const at = (server: DurableServer, r: number) => rows.find((x) => x.server === server && x.round === r)?.result.perSecond;
  const rounds = [...new Set(rows.map((x) => x.round))]
    .sort((x, y) => x - y)
    .flatMap((r) => {
      const [x, y] = [at(a, r), at(b, r)];
      return x !== undefined && y ? [ratio(x, y)] : [];
    });
  return rounds.length === 0 ? undefined : { median: round(median(rounds), 3), rounds };
}
