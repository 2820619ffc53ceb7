/**
 * The peer, in the same run: node-hl7-server 2.5.0 (parse and ACK, no storage) beside the engine's
 * ACK-only mode (INTAKE_ACK_ONLY) and the real-ACK floor, 16 connections, the mix, in two ways:
 * - `persistent`: one connection per sender for the whole run (how MLLP senders work, and how the
 *   other benchmarks run). node-hl7-server 2.5.0 never clears its receive buffer, so the n-th
 *   message on a connection is answered with n ACKs (the earlier ones again); the load generator
 *   credits only the ACK naming the message sent and counts the others as spurious;
 * - `reconnect`: a new TCP connection for every message, the only way node-hl7-server answers each
 *   message once. The three servers are measured this way too, so the ratio compares like with like.
 * The three servers run side by side and are measured in rounds (3; 1 with --quick), each round
 * every server once, the first of each round in turn. A machine whose capacity moves from minute
 * to minute (a shared host: 7,763 and 20,494 msg/s for the floor ten minutes apart on 12-03) then
 * shows in every server alike, and a ratio is taken within each round, where they share the minutes.
 */
import type { ClosedLoopResult } from '../load/closed-loop.ts';
import type { BenchContext } from '../lib/context.ts';
import { startServer } from '../lib/processes.ts';
import { withEngine } from '../engine/engine-session.ts';
import { cpuSampler, type CpuUse } from '../lib/cpu.ts';
import { closedLoop, nextLabel } from './floors.ts';
import { median, ratio, round } from '../lib/stats.ts';

const PEER_SERVERS = ['node-hl7-server', 'engine ack-only', 'real-ack floor'] as const;

export interface PeerRow {
  server: (typeof PEER_SERVERS)[number];
  connection: 'persistent' | 'reconnect';
  /** 1, 2, …: in each round every server is measured once, in both ways, in the same minutes. */
  round: number;
  result: ClosedLoopResult;
  /** CPU seconds of the server process and of the whole machine during the run. */
  cpu: CpuUse;
}

export async function runPeer(ctx: BenchContext): Promise<PeerRow[]> {
  const rows: PeerRow[] = [];
  const measure = async (o: { server: PeerRow['server']; round: number; port: number; pid: number }) => {
    for (const connection of ['persistent', 'reconnect'] as const) {
      const cpu = await cpuSampler({ server: [o.pid] });
      const result = await closedLoop(ctx, {
        port: o.port,
        connections: 16,
        reconnectEach: connection === 'reconnect',
        label: nextLabel(),
      });
      rows.push({ server: o.server, connection, round: o.round, result, cpu: await cpu.done() });
      console.log(
        `  round ${o.round}, ${o.server} (${connection}) x16: ${result.perSecond} msg/s, p99 ${result.latencyMs.p99} ms, ` +
          `${result.spurious} spurious ACKs, ${result.errors} errors`,
      );
    }
  };
  const peer = await startServer('node-hl7-server');
  try {
    const floor = await startServer('real-ack');
    try {
      await withEngine(ctx, { label: 'peer-ack-only', role: 'ingest', env: { INTAKE_ACK_ONLY: 'true' } }, async (engine) => {
        const servers = {
          'node-hl7-server': peer,
          'engine ack-only': { port: engine.port, pid: engine.main.pid },
          'real-ack floor': floor,
        } as const;
        const rounds = ctx.quick ? 1 : 3;
        for (let round = 1; round <= rounds; round++) {
          for (let i = 0; i < PEER_SERVERS.length; i++) {
            const server = PEER_SERVERS[(round - 1 + i) % PEER_SERVERS.length]!;
            await measure({ server, round, port: servers[server].port, pid: servers[server].pid });
          }
        }
      });
    } finally {
      await floor.stop();
    }
  } finally {
    await peer.stop();
  }
  return rows;
}

/**
 * `a ÷ b` for one way of connecting, within each round (the same minutes), and their median:
 * what the targets compare. Undefined when the rows hold no round with both.
 */
export function pairedRatio(
  rows: readonly PeerRow[],
  o: { a: PeerRow['server']; b: PeerRow['server']; connection: PeerRow['connection'] },
): { median: number; rounds: number[] } | undefined {
  const at = (server: PeerRow['server'], round: number) =>
    rows.find((r) => r.server === server && r.connection === o.connection && r.round === round)?.result.perSecond;
  const rounds = [...new Set(rows.map((r) => r.round))]
    .sort((x, y) => x - y)
    .flatMap((round) => {
      const a = at(o.a, round);
      const b = at(o.b, round);
      return a !== undefined && b ? [ratio(a, b)] : [];
    });
  return rounds.length === 0 ? undefined : { median: round(median(rounds), 3), rounds };
}
