/**
 * MLLP ingest: the engine under the same closed-loop load as the floors (the mix, 1, 16 and 64
 * connections, one message in flight each, original mode), ACK after the durable commit.
 * - `all`: one process with intake and the workers (the default `switchboard start`), so the
 *   deliveries to the ERP simulator compete with intake, as they do in a one-process install;
 * - `ingest`: intake alone (`--role ingest`; deliveries wait in Redis), the number compared with the
 *   store's own capacity.
 * Also the ACK-only mode (INTAKE_ACK_ONLY: header read and ACK, storage off) at each count, and
 * per stored message the store and Redis round trips the engine made (from the round-trip probe).
 * `profileIngest`: one more `ingest` run at 16 connections with the CPU profiler on.
 */
import type { ClosedLoopResult } from '../load/closed-loop.ts';
import type { BenchContext } from '../lib/context.ts';
import { withEngine, perMessage } from '../engine/engine-session.ts';
import { summariseProfile, type ProfileSummary } from '../lib/cpu-profile.ts';
import { cpuSampler, type CpuUse } from '../lib/cpu.ts';
import { closedLoop, connectionCounts, nextLabel } from './floors.ts';

export interface IngestRow {
  mode: 'all' | 'ingest' | 'ack-only';
  connections: number;
  result: ClosedLoopResult;
  /** Store/Redis round trips per stored message (durable modes). */
  roundTrips?: ReturnType<typeof perMessage>;
  /** CPU seconds per group of processes during the run. */
  cpu: CpuUse;
}

export async function runIngest(ctx: BenchContext, o: { connections?: readonly number[] } = {}): Promise<IngestRow[]> {
  const rows: IngestRow[] = [];
  for (const mode of ['all', 'ingest', 'ack-only'] as const) {
    const role = mode === 'all' ? 'all' : 'ingest';
    const env: Record<string, string> = mode === 'ack-only' ? { INTAKE_ACK_ONLY: 'true' } : {};
    await withEngine(ctx, { label: `ingest-${mode}`, role, env }, async (s) => {
      for (const connections of o.connections ?? (ctx.quick ? [16] : connectionCounts(ctx))) {
        const before = await s.roundTrips();
        const cpu = await cpuSampler({ engine: [s.main.pid] });
        const result = await closedLoop(ctx, { port: s.port, connections, label: nextLabel() });
        const used = await cpu.done();
        const row: IngestRow = { mode, connections, result, cpu: used };
        if (mode !== 'ack-only') row.roundTrips = perMessage(before, await s.roundTrips());
        rows.push(row);
        const codes = Object.entries(result.codes)
          .map(([c, n]) => `${c} ${n}`)
          .join(', ');
        console.log(
          `  engine ${mode} x${connections}: ${result.perSecond} msg/s, ` +
            `p50 ${result.latencyMs.p50} p99 ${result.latencyMs.p99} p999 ${result.latencyMs.p999} ms ` +
            `(${codes}${result.errors ? `, ${result.errors} errors: ${result.firstError}` : ''})`,
        );
      }
    });
  }
  return rows;
}

/** One `ingest` run at 16 connections with the CPU profiler on during the load: where the engine's own CPU goes. */
export async function profileIngest(ctx: BenchContext): Promise<{ result: ClosedLoopResult; profile: ProfileSummary | undefined }> {
  return withEngine(ctx, { label: 'ingest-profile', role: 'ingest', cpuProfile: true }, async (s) => {
    s.toggleProfile();
    const result = await closedLoop(ctx, { port: s.port, connections: 16, label: nextLabel() });
    s.toggleProfile();
    let profile: ProfileSummary | undefined;
    for (let i = 0; i < 100 && !profile; i++) {
      await new Promise((r) => setTimeout(r, 100));
      profile = await summariseProfile(s.profileFile);
    }
    return { result, profile };
  });
}
