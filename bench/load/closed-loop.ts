/**
 * Closed-loop MLLP load: `connections` senders, each with one message of the mix in flight
 * (original mode), for `durationMs` after a warm-up. Measures what a server sustains when every
 * sender waits for its ACK: ACKs per second and the ACK latency of each message (write to its own
 * ACK). Runs as its own process so it does not share the event loop of the server under test.
 * With `reconnectEach`, each message gets a new TCP connection (for servers that are only correct so).
 * argv[2]: JSON ClosedLoopOptions. Prints one JSON line: ClosedLoopResult.
 */
import { MessageMix, type MixKind } from '../lib/mix.ts';
import { percentiles, round, type Percentiles } from '../lib/stats.ts';
import { MllpConnection } from './mllp-connection.ts';

export interface ClosedLoopOptions {
  port: number;
  connections: number;
  durationMs: number;
  warmupMs: number;
  /** Control id prefix, unique per run (a resend would be a duplicate to the engine). */
  tag: string;
  seed: number;
  reconnectEach?: boolean;
  /** Send only this kind (default: the mix). */
  only?: MixKind;
  /** Take any ACK as the answer (a server that answers one precomputed ACK names no control id). */
  anyAck?: boolean;
}

export interface ClosedLoopResult {
  perSecond: number;
  acked: number;
  codes: Record<string, number>;
  kinds: Record<string, number>;
  /** ACKs for no message in flight or for another control id. */
  spurious: number;
  errors: number;
  firstError?: string;
  latencyMs: Percentiles;
  megabytesPerSecond: number;
}

async function run(o: ClosedLoopOptions): Promise<ClosedLoopResult> {
  const mix = new MessageMix({ seed: o.seed, tag: o.tag });
  const measureFrom = Date.now() + o.warmupMs;
  const deadline = measureFrom + o.durationMs;
  const latencies: number[] = [];
  const codes: Record<string, number> = {};
  const kinds: Record<string, number> = {};
  let errors = 0;
  let spurious = 0;
  let bytes = 0;
  let firstError: string | undefined;

  let reconnects = 0;
  /** With reconnectEach, connections come from 127.0.0.2…127.0.0.250 in turn, so TIME_WAIT does not use up the ports of one address. */
  const localAddress = () => (o.reconnectEach ? `127.0.0.${2 + (reconnects++ % 249)}` : undefined);
  const sender = async () => {
    let conn: MllpConnection | undefined;
    while (Date.now() < deadline) {
      const m = mix.next(o.only);
      try {
        conn ??= await MllpConnection.open(o.port, localAddress());
        const start = performance.now();
        const ack = await conn.send(m.frame, o.anyAck ? undefined : m.controlId);
        const end = performance.now();
        if (Date.now() >= measureFrom && Date.now() < deadline) {
          latencies.push(end - start);
          codes[ack.code] = (codes[ack.code] ?? 0) + 1;
          kinds[m.kind] = (kinds[m.kind] ?? 0) + 1;
          bytes += m.frame.length;
        }
      } catch (err) {
        errors++;
        firstError ??= (err as Error).message;
        conn?.close();
        conn = undefined;
        await new Promise((r) => setTimeout(r, 50));
      }
      if (o.reconnectEach && conn) {
        spurious += conn.spurious;
        conn.close();
        conn = undefined;
      }
    }
    if (conn) {
      spurious += conn.spurious;
      conn.close();
    }
  };
  await Promise.all(Array.from({ length: o.connections }, sender));
  const seconds = o.durationMs / 1000;
  return {
    perSecond: Math.round(latencies.length / seconds),
    acked: latencies.length,
    codes,
    kinds,
    spurious,
    errors,
    ...(firstError ? { firstError } : {}),
    latencyMs: percentiles(latencies),
    megabytesPerSecond: round(bytes / seconds / 1e6),
  };
}

console.log(JSON.stringify(await run(JSON.parse(process.argv[2]!) as ClosedLoopOptions)));
