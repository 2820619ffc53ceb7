/**
 * The cost of tracing (issue 25, part 3): MLLP ingest as in the ingest suite (the mix, closed loop,
 * 16 connections, ACK after the durable commit), role `ingest` (intake alone: the frame, intake, store
 * and queue spans) and role `all` (intake and the deliveries to the ERP simulator in one process: the
 * delivery spans too), each with tracing off and on in turn, round after round (the same minutes, so
 * the machine's other load weighs on both alike). On: OTEL_EXPORTER_OTLP_ENDPOINT at the OTLP
 * collector stand-in (peers/otlp-collector.ts) in this process, which counts the spans it receives.
 * Each row has the load average at its start: the machine is shared.
 */
import os from 'node:os';
import type { ClosedLoopResult } from '../load/closed-loop.ts';
import type { BenchContext } from '../lib/context.ts';
import { withEngine } from '../engine/engine-session.ts';
import { cpuSampler, type CpuUse } from '../lib/cpu.ts';
import { startOtlpCollector } from '../../peers/otlp-collector.ts';
import { closedLoop, nextLabel } from './floors.ts';
import { table } from '../lib/markdown-table.ts';

export interface TracingRow {
  role: 'ingest' | 'all';
  tracing: 'off' | 'on';
  round: number;
  result: ClosedLoopResult;
  cpu: CpuUse;
  /** Spans the collector received during the run (on). */
  spans: number;
  /** The 1-minute load average when the run started. */
  load: number;
}

export interface TracingResult {
  connections: number;
  rows: TracingRow[];
  /** By role: mean msg/s with tracing on over off, and the same of the engine's CPU seconds per message. */
  ratios: { role: 'ingest' | 'all'; throughput: number; cpuPerMessage: number }[];
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
/** The engine process's CPU seconds over the run (warm-up included) per message acknowledged in the measured window. */
const cpuPerMessage = (r: TracingRow) => (r.cpu.engine ?? 0) / Math.max(1, r.result.acked);
/** The same of this process: the collector stand-in and the ERP simulator. */
const benchPerMessage = (r: TracingRow) => (r.cpu.bench ?? 0) / Math.max(1, r.result.acked);

export async function runTracing(ctx: BenchContext, o: { connections?: number; rounds?: number } = {}): Promise<TracingResult> {
  const connections = o.connections ?? 16;
  const collector = await startOtlpCollector({ keep: false });
  const rows: TracingRow[] = [];
  try {
    for (let round = 1; round <= (o.rounds ?? (ctx.quick ? 1 : 3)); round++) {
      for (const [role, tracing] of [
        ['ingest', 'off'],
        ['ingest', 'on'],
        ['all', 'off'],
        ['all', 'on'],
      ] as const) {
        const env: Record<string, string> = tracing === 'on' ? { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url } : {};
        await withEngine(ctx, { label: `tracing-${role}-${tracing}-${round}`, role, env }, async (s) => {
          const load = os.loadavg()[0]!;
          const spansBefore = collector.spanCount();
          // `bench`: this process, where the collector and the ERP simulator run (the load generator has its own).
          const cpu = await cpuSampler({ engine: [s.main.pid], bench: [process.pid] });
          const result = await closedLoop(ctx, { port: s.port, connections, label: nextLabel() });
          const row: TracingRow = { role, tracing, round, result, cpu: await cpu.done(), spans: collector.spanCount() - spansBefore, load };
          rows.push(row);
          console.log(
            `  ${role}, tracing ${tracing} (round ${round}) x${connections}: ${result.perSecond} msg/s, p50 ${result.latencyMs.p50} ` +
              `p99 ${result.latencyMs.p99} ms, engine CPU ${(cpuPerMessage(row) * 1000).toFixed(3)} ms/msg, ` +
              `collector and ERP ${(benchPerMessage(row) * 1000).toFixed(3)} ms/msg, ${row.spans} spans, ` +
              `load ${load.toFixed(1)}`,
          );
        });
      }
    }
  } finally {
    await collector.close();
  }
  const ratios = (['ingest', 'all'] as const).map((role) => {
    const of = (t: 'on' | 'off') => rows.filter((r) => r.role === role && r.tracing === t);
    const throughput = mean(of('on').map((r) => r.result.perSecond)) / mean(of('off').map((r) => r.result.perSecond));
    const cpu = mean(of('on').map(cpuPerMessage)) / mean(of('off').map(cpuPerMessage));
    console.log(`  ${role}, tracing on/off: throughput ${throughput.toFixed(3)}, engine CPU per message ${cpu.toFixed(3)}`);
    return { role, throughput, cpuPerMessage: cpu };
  });
  return { connections, rows, ratios };
}

/** The suite's rows and ratios as Markdown (bench.md). */
export function tracingMarkdown(r: TracingResult): string[] {
  return [
    `**Tracing** (the mix, closed loop, ${r.connections} connections; off and on in turn, on: OTLP to a local collector)`,
    '',
    ...table(
      [
        'role',
        'tracing',
        'round',
        'msg/s',
        'ACK p50 ms',
        'p99 ms',
        'engine CPU ms/msg',
        'collector + ERP CPU ms/msg',
        'spans',
        'load at start',
      ],
      r.rows.map((x) => [
        x.role,
        x.tracing,
        x.round,
        x.result.perSecond,
        x.result.latencyMs.p50,
        x.result.latencyMs.p99,
        (cpuPerMessage(x) * 1000).toFixed(3),
        (benchPerMessage(x) * 1000).toFixed(3),
        x.spans,
        x.load.toFixed(1),
      ]),
    ),
    '',
    ...r.ratios.map(
      (x) => `On/off, ${x.role}: throughput ${x.throughput.toFixed(3)}, engine CPU per message ${x.cpuPerMessage.toFixed(3)}.`,
    ),
    '',
  ];
}
