/**
 * End to end: MLLP in → durable store → transform → delivery to the ERP simulator, one engine
 * process (`switchboard start`, role all), under open-loop load at fixed rates (no coordinated
 * omission: latency counts from when each message was due). For each rate: ACK latency and
 * end-to-end latency (due → the ERP simulator recorded the message's last posting; ADT and DFT,
 * ORU is stored and sent nowhere) p50/p99/p999, and whether the engine kept up. Rates rise until
 * one is not sustained; the saturation rate is the last rate sustained below the first that is not.
 */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { OpenLoopOptions, OpenLoopRecord, OpenLoopResult } from '../load/open-loop.ts';
import type { BenchContext } from '../lib/context.ts';
import { RESULTS, runLoad } from '../lib/processes.ts';
import { percentiles, type Percentiles } from '../lib/stats.ts';
import { withEngine, type EngineSession } from '../engine/engine-session.ts';
import type { ErpSimulator } from '../../peers/erp-simulator.ts';
import { nextLabel } from './floors.ts';

export interface RateRow {
  rate: number;
  load: OpenLoopResult;
  ackMs: Percentiles;
  endToEndMs: Percentiles;
  /** Messages that should reach the ERP (ADT and DFT answered AA), and how many did in the wait. */
  expected: number;
  delivered: number;
  /**
   * Achieved ≥ 97% of the rate, ACK and end-to-end p99 ≤ 1 s (deliveries kept up: a backlog that
   * grows through the run reaches seconds), and every delivery made within the drain wait.
   */
  sustained: boolean;
}

/** When the last posting of each control id reached the ERP simulator (epoch ms). */
export function deliveredAt(erp: ErpSimulator, tag: string): Map<string, number> {
  const at = new Map<string, number>();
  for (const p of erp.postings()) {
    const controlId = (p.body as { event?: { source?: { controlId?: string } } }).event?.source?.controlId;
    if (!controlId?.startsWith(tag)) continue;
    const t = Date.parse(p.receivedAt);
    if (t > (at.get(controlId) ?? 0)) at.set(controlId, t);
  }
  return at;
}

/** One open-loop run at `rate` against a running engine; waits up to `drainMs` for its deliveries. */
export async function openLoopRun(
  ctx: BenchContext,
  s: EngineSession,
  o: { rate: number; seconds: number; drainMs: number; ackDrainMs?: number; connections?: number },
): Promise<{ row: RateRow; records: OpenLoopRecord[]; delivered: Map<string, number> }> {
  const tag = `${ctx.run}${nextLabel()}`.slice(0, 11);
  const recordsFile = path.join(RESULTS, `open-loop-${tag}.json`);
  const load = await runLoad<OpenLoopResult>('open-loop', {
    port: s.port,
    ratePerSecond: o.rate,
    durationMs: o.seconds * 1000,
    connections: o.connections ?? 64,
    tag,
    seed: 11,
    recordsFile,
    ...(o.ackDrainMs !== undefined ? { drainMs: o.ackDrainMs } : {}),
  } satisfies OpenLoopOptions);
  const records = JSON.parse(await readFile(recordsFile, 'utf8')) as OpenLoopRecord[];
  await rm(recordsFile, { force: true });
  const expected = records.filter((r) => r.code === 'AA' && (r.kind === 'adt' || r.kind === 'dft')).length;
  let delivered = deliveredAt(s.erp, tag);
  const until = Date.now() + o.drainMs;
  while (delivered.size < expected && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 250));
    delivered = deliveredAt(s.erp, tag);
  }
  const acked = records.filter((r) => r.ackAt !== undefined);
  const e2e = records.filter((r) => delivered.has(r.controlId)).map((r) => delivered.get(r.controlId)! - r.dueAt);
  const ackMs = percentiles(acked.map((r) => r.ackAt! - r.dueAt));
  const endToEndMs = percentiles(e2e);
  const sustained = load.achievedPerSecond >= 0.97 * o.rate && ackMs.p99 <= 1000 && endToEndMs.p99 <= 1000 && delivered.size >= expected;
  return { row: { rate: o.rate, load, ackMs, endToEndMs, expected, delivered: delivered.size, sustained }, records, delivered };
}

export async function runEndToEnd(ctx: BenchContext): Promise<{ rows: RateRow[]; saturationRate: number | undefined }> {
  const rates = ctx.quick ? [100, 300] : [100, 150, 200, 250, 300, 400, 500, 600, 800, 1000];
  const rows: RateRow[] = [];
  await withEngine(ctx, { label: 'e2e', role: 'all' }, async (s) => {
    let failures = 0;
    for (const rate of rates) {
      const { row } = await openLoopRun(ctx, s, {
        rate,
        seconds: ctx.seconds(20, 3),
        drainMs: ctx.seconds(20, 5) * 1000,
        ackDrainMs: ctx.seconds(30, 5) * 1000,
      });
      rows.push(row);
      console.log(
        `  e2e ${rate}/s: achieved ${row.load.achievedPerSecond}/s, ` +
          `ACK p50 ${row.ackMs.p50} p99 ${row.ackMs.p99} p999 ${row.ackMs.p999} ms, ` +
          `e2e p50 ${row.endToEndMs.p50} p99 ${row.endToEndMs.p99} p999 ${row.endToEndMs.p999} ms, ` +
          `delivered ${row.delivered}/${row.expected}${row.sustained ? '' : ' (not sustained)'}`,
      );
      // Past the first rate not sustained, one more shows the trend; then stop (the backlog only grows).
      if (!row.sustained && ++failures >= (ctx.quick ? 1 : 2)) break;
      // Let what is still queued drain before the next rate.
      await new Promise((r) => setTimeout(r, ctx.quick ? 500 : 3000));
    }
  });
  const firstFailure = rows.findIndex((r) => !r.sustained);
  const below = firstFailure === -1 ? rows : rows.slice(0, firstFailure);
  return { rows, saturationRate: below.at(-1)?.rate };
}
