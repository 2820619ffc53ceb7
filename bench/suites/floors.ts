/**
 * The MLLP floors, measured in the same run as the engine, each server in its own process under the
 * same closed-loop load (the mix, one message in flight per connection):
 * 1. precomputed ACK: framing and a socket write, nothing else (any ACK is taken as the answer);
 * 2. real ACK: the charset decode, header-only read and ACK build of the engine's ACK path;
 * 3. group commit: (2) after an append and fdatasync shared by every frame that waits (this disk's
 *    durable floor; frames per fsync reported).
 */
import path from 'node:path';
import { rm } from 'node:fs/promises';
import type { ClosedLoopOptions, ClosedLoopResult } from '../load/closed-loop.ts';
import { RESULTS, runLoad, startServer } from '../lib/processes.ts';
import type { BenchContext } from '../lib/context.ts';

/** Connection counts measured: 1, 16 and 64 (with --quick, 1 and 16). */
export const connectionCounts = (ctx: BenchContext): number[] => (ctx.quick ? [1, 16] : [1, 16, 64]);

export interface FloorRow {
  server: 'precomputed-ack' | 'real-ack' | 'group-commit';
  connections: number;
  result: ClosedLoopResult;
  /** Group commit only: frames per fdatasync. */
  framesPerFsync?: number;
}

/** One closed-loop run of the mix against `port`, for `durationMs` (default: 10 s, 1.5 s with --quick). */
export function closedLoop(
  ctx: BenchContext,
  o: Omit<ClosedLoopOptions, 'durationMs' | 'warmupMs' | 'seed' | 'tag'> & { label: string; durationMs?: number },
): Promise<ClosedLoopResult> {
  const { label, durationMs, ...rest } = o;
  return runLoad<ClosedLoopResult>('closed-loop', {
    ...rest,
    durationMs: durationMs ?? ctx.seconds(10, 1.5) * 1000,
    warmupMs: ctx.quick ? 200 : 1000,
    seed: 9,
    tag: `${ctx.run}${label}`.slice(0, 11),
  } satisfies ClosedLoopOptions);
}

let labels = 0;
/** A short, unique control-id prefix for one load run. */
export const nextLabel = (): string => (labels++).toString(36);

export async function runFloors(ctx: BenchContext): Promise<FloorRow[]> {
  const rows: FloorRow[] = [];
  const logFile = path.join(RESULTS, `group-commit-${ctx.run}.log`);
  for (const server of ['precomputed-ack', 'real-ack', 'group-commit'] as const) {
    for (const connections of connectionCounts(ctx)) {
      const s = await startServer(server, server === 'group-commit' ? [logFile] : []);
      const result = await closedLoop(ctx, { port: s.port, connections, anyAck: server === 'precomputed-ack', label: nextLabel() });
      const stats = await s.stop();
      const row: FloorRow = { server, connections, result };
      if (server === 'group-commit' && stats.flushes) row.framesPerFsync = Number((stats.frames! / stats.flushes).toFixed(1));
      rows.push(row);
      console.log(
        `  floor ${server} x${connections}: ${result.perSecond} msg/s, p99 ${result.latencyMs.p99} ms` +
          `${row.framesPerFsync ? `, ${row.framesPerFsync} frames/fsync` : ''}`,
      );
    }
  }
  await rm(logFile, { force: true });
  return rows;
}
