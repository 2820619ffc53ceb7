/**
 * Open-loop MLLP load at a fixed rate, free of coordinated omission: message i is due at
 * start + i / rate whatever happened before, and its ACK latency is counted from that due time,
 * so time spent waiting for a free connection (the server being slow) is in the latency. Messages
 * go out over a pool of `connections` (one in flight each, original mode); a message due while
 * every connection is busy waits in order. Runs as its own process.
 * argv[2]: JSON OpenLoopOptions. Writes every message to `recordsFile` (JSON: OpenLoopRecord[]) and
 * prints one JSON line: OpenLoopResult.
 */
import { writeFile } from 'node:fs/promises';
import { MessageMix, type MixKind } from '../lib/mix.ts';
import { percentiles, round, type Percentiles } from '../lib/stats.ts';
import { MllpConnection } from './mllp-connection.ts';

export interface OpenLoopOptions {
  port: number;
  ratePerSecond: number;
  durationMs: number;
  connections: number;
  tag: string;
  seed: number;
  recordsFile: string;
  /** After the last message is due, how long to wait for outstanding ACKs. */
  drainMs?: number;
}

/** One message: when it was due and when its ACK came (epoch ms, fractional), or why not. */
export interface OpenLoopRecord {
  controlId: string;
  kind: MixKind;
  dueAt: number;
  ackAt?: number;
  code?: string;
}

export interface OpenLoopResult {
  offered: number;
  acked: number;
  /** ACKs per second over the sending window. */
  achievedPerSecond: number;
  codes: Record<string, number>;
  errors: number;
  firstError?: string;
  latencyMs: Percentiles;
  /** Largest number of due messages waiting for a free connection. */
  maxBacklog: number;
}

const now = () => performance.timeOrigin + performance.now();

async function run(o: OpenLoopOptions): Promise<OpenLoopResult> {
  const mix = new MessageMix({ seed: o.seed, tag: o.tag });
  const records: OpenLoopRecord[] = [];
  // A FIFO by index (Array.shift is linear, and an overloaded server leaves a long backlog).
  const backlog: ({ m: ReturnType<MessageMix['draw']>; r: OpenLoopRecord } | undefined)[] = [];
  let head = 0;
  const waiting = () => backlog.length - head;
  const idle: MllpConnection[] = [];
  const codes: Record<string, number> = {};
  let errors = 0;
  let firstError: string | undefined;
  let maxBacklog = 0;
  let outstanding = 0;
  for (let i = 0; i < o.connections; i++) idle.push(await MllpConnection.open(o.port));

  const dispatch = () => {
    while (waiting() > 0 && idle.length > 0) {
      const conn = idle.pop()!;
      const { m, r } = backlog[head]!;
      backlog[head++] = undefined;
      outstanding++;
      conn
        .send(m.frame(), m.controlId)
        .then(
          (ack) => {
            r.ackAt = now();
            r.code = ack.code;
            codes[ack.code] = (codes[ack.code] ?? 0) + 1;
            idle.push(conn);
          },
          (err: Error) => {
            errors++;
            firstError ??= err.message;
            conn.close();
            void MllpConnection.open(o.port).then(
              (fresh) => (idle.push(fresh), dispatch()),
              () => undefined,
            );
          },
        )
        .finally(() => {
          outstanding--;
          dispatch();
        });
    }
  };

  const start = now() + 50;
  const total = Math.round((o.ratePerSecond * o.durationMs) / 1000);
  let i = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const t = now();
      while (i < total && start + (i * 1000) / o.ratePerSecond <= t) {
        const m = mix.draw();
        const r: OpenLoopRecord = { controlId: m.controlId, kind: m.kind, dueAt: start + (i * 1000) / o.ratePerSecond };
        records.push(r);
        backlog.push({ m, r });
        i++;
      }
      maxBacklog = Math.max(maxBacklog, waiting());
      dispatch();
      if (i >= total) return resolve();
      setTimeout(tick, Math.max(0, Math.min(1, start + (i * 1000) / o.ratePerSecond - now())));
    };
    tick();
  });
  const sendEnd = now();
  const drainUntil = sendEnd + (o.drainMs ?? 30_000);
  while ((outstanding > 0 || waiting() > 0) && now() < drainUntil) await new Promise((r) => setTimeout(r, 20));

  await writeFile(o.recordsFile, JSON.stringify(records));
  const acked = records.filter((r) => r.ackAt !== undefined);
  const inWindow = acked.filter((r) => r.ackAt! <= sendEnd).length;
  return {
    offered: total,
    acked: acked.length,
    achievedPerSecond: Math.round(inWindow / ((sendEnd - start) / 1000)),
    codes,
    errors,
    ...(firstError ? { firstError } : {}),
    latencyMs: percentiles(acked.map((r) => r.ackAt! - r.dueAt)),
    maxBacklog,
  };
}

const result = await run(JSON.parse(process.argv[2]!) as OpenLoopOptions);
console.log(JSON.stringify(result));
process.exit(0);
