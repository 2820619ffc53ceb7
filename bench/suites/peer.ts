/**
 * The peer, in the same run: node-hl7-server 2.5.0 (parse and ACK, no storage) beside the engine's
 * ACK-only mode (INTAKE_ACK_ONLY) and the real-ACK floor, 16 connections, the mix, in two ways:
 * - `persistent`: one connection per sender for the whole run (how MLLP senders work, and how the
 *   other benchmarks run). node-hl7-server 2.5.0 never clears its receive buffer, so the n-th
 *   message on a connection is answered with n ACKs (the earlier ones again); the load generator
 *   credits only the ACK naming the message sent and counts the others as spurious;
 * - `reconnect`: a new TCP connection for every message, the only way node-hl7-server answers each
 *   message once. The three servers are measured this way too, so the ratio compares like with like.
 */
import type { ClosedLoopResult } from '../load/closed-loop.ts';
import type { BenchContext } from '../lib/context.ts';
import { startServer } from '../lib/processes.ts';
import { withEngine } from '../engine/engine-session.ts';
import { cpuSampler, type CpuUse } from '../lib/cpu.ts';
import { closedLoop, nextLabel } from './floors.ts';

export interface PeerRow {
  server: 'node-hl7-server' | 'engine ack-only' | 'real-ack floor';
  connection: 'persistent' | 'reconnect';
  result: ClosedLoopResult;
  /** CPU seconds of the server process and of the whole machine during the run. */
  cpu: CpuUse;
}

export async function runPeer(ctx: BenchContext): Promise<PeerRow[]> {
  const rows: PeerRow[] = [];
  const measure = async (server: PeerRow['server'], port: number, pid: number) => {
    for (const connection of ['persistent', 'reconnect'] as const) {
      const cpu = await cpuSampler({ server: [pid] });
      const result = await closedLoop(ctx, { port, connections: 16, reconnectEach: connection === 'reconnect', label: nextLabel() });
      rows.push({ server, connection, result, cpu: await cpu.done() });
      console.log(`  ${server} (${connection}) x16: ${result.perSecond} msg/s, p99 ${result.latencyMs.p99} ms, ${result.spurious} spurious ACKs, ${result.errors} errors`);
    }
  };
  const peer = await startServer('node-hl7-server');
  try {
    await measure('node-hl7-server', peer.port, peer.pid);
  } finally {
    await peer.stop();
  }
  await withEngine(ctx, { label: 'peer-ack-only', role: 'ingest', env: { INTAKE_ACK_ONLY: 'true' } }, (s) => measure('engine ack-only', s.port, s.main.pid));
  const floor = await startServer('real-ack');
  try {
    await measure('real-ack floor', floor.port, floor.pid);
  } finally {
    await floor.stop();
  }
  return rows;
}
