import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { startErpSimulator, type ErpSimulator } from '../../peers/erp-simulator.ts';
import type { BenchContext } from '../lib/context.ts';
import { RESULTS, startEngine, type EngineProcess } from '../lib/processes.ts';
import type { RoundTrips } from './roundtrip-probe.ts';

export interface EngineSessionOptions {
  /** Names the database, queue prefix and files of this session. */
  label: string;
  /** Role of the process that listens for MLLP: `all` (workers in it too) or `ingest`. */
  role: 'all' | 'ingest';
  /** Worker processes (`--role worker`) started beside it; default 0. */
  workers?: number;
  /** Start the workers only when `startWorkers()` is called (scale-out). */
  deferWorkers?: boolean;
  env?: Record<string, string>;
  /** Event-loop/memory probe in the listening process. */
  probe?: boolean;
  /** A CPU profiler in the listening process, toggled by `toggleProfile()` (bench/engine/cpu-probe.ts). */
  cpuProfile?: boolean;
}

/** A running engine (one listening process and its workers) with its ERP simulator. */
export interface EngineSession {
  port: number;
  db: string;
  prefix: string;
  erp: ErpSimulator;
  main: EngineProcess;
  workers: EngineProcess[];
  probeFile: string;
  /** Where the CPU profile is written (with `cpuProfile`). */
  profileFile: string;
  /** Starts the CPU profiler, or stops it and writes the profile. */
  toggleProfile(): void;
  startWorkers(): Promise<void>;
  /** The running round-trip totals of the listening process (a fresh reading: waits for the next write). */
  roundTrips(): Promise<RoundTrips>;
}

/**
 * Runs `fn` with a fresh engine: the real entry point in its own processes, the channels as
 * shipped, a database and queue prefix of its own, the ERP simulator (in this process) as the
 * ERP, and the store/Redis round-trip counter preloaded. Everything is stopped afterwards.
 */
export async function withEngine<T>(ctx: BenchContext, o: EngineSessionOptions, fn: (s: EngineSession) => Promise<T>): Promise<T> {
  const name = ctx.name(o.label);
  const dir = path.join(RESULTS, 'runs', ctx.run);
  await mkdir(dir, { recursive: true });
  const files = {
    log: path.join(dir, `${o.label}.log`),
    probe: path.join(dir, `${o.label}.probe.ndjson`),
    roundTrips: path.join(dir, `${o.label}.roundtrips.json`),
    profile: path.join(dir, `${o.label}.cpuprofile`),
  };
  const erp = await startErpSimulator({ port: 0 });
  const common = { db: name, prefix: name, erpUrl: erp.url, logFile: files.log, ...(o.env ? { env: o.env } : {}) };
  const workers: EngineProcess[] = [];
  let main: EngineProcess | undefined;
  try {
    main = await startEngine({
      ...common,
      role: o.role,
      roundTripFile: files.roundTrips,
      ...(o.probe ? { probeFile: files.probe } : {}),
      ...(o.cpuProfile ? { cpuProfileFile: files.profile } : {}),
    });
    const startWorkers = async () => {
      const started = await Promise.allSettled(
        Array.from({ length: o.workers ?? 0 }, (_, i) =>
          startEngine({
            ...common,
            role: 'worker',
            logFile: path.join(dir, `${o.label}.worker-${i}.log`),
            roundTripFile: path.join(dir, `${o.label}.worker-${i}.roundtrips.json`),
          }),
        ),
      );
      for (const r of started) if (r.status === 'fulfilled') workers.push(r.value);
      const failed = started.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
    };
    if (!o.deferWorkers) await startWorkers();
    const roundTrips = async (): Promise<RoundTrips> => {
      const read = async (): Promise<RoundTrips> => {
        try {
          return JSON.parse(await readFile(files.roundTrips, 'utf8')) as RoundTrips;
        } catch {
          return { at: 0, mongo: {}, redis: {}, inserted: 0 };
        }
      };
      const first = await read();
      for (let i = 0; i < 30; i++) {
        await new Promise((r) => setTimeout(r, 100));
        const next = await read();
        if (next.at !== first.at) return next;
      }
      return first;
    };
    return await fn({
      port: main.mllpPort,
      db: name,
      prefix: name,
      erp,
      main,
      workers,
      probeFile: files.probe,
      profileFile: files.profile,
      toggleProfile: () => void main!.child.kill('SIGUSR2'),
      startWorkers,
      roundTrips,
    });
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await main?.stop();
    await erp.close();
    // At once, not at the end of the run: the next suite must not share the machine with
    // PostgreSQL's autovacuum of this one's tables.
    await ctx.drop(name);
  }
}

/** Store and Redis round trips per stored message between two readings (per document inserted). */
export function perMessage(
  before: RoundTrips,
  after: RoundTrips,
): { messages: number; mongo: Record<string, { calls: number; ms: number }>; redis: Record<string, number> } {
  const messages = (after.inserted ?? 0) - (before.inserted ?? 0);
  const per = (x: number) => (messages === 0 ? 0 : Number((x / messages).toFixed(2)));
  const mongo: Record<string, { calls: number; ms: number }> = {};
  for (const [op, v] of Object.entries(after.mongo)) {
    const b = before.mongo[op] ?? { calls: 0, ms: 0 };
    if (v.calls - b.calls > 0)
      mongo[op] = { calls: per(v.calls - b.calls), ms: Number(((v.ms - b.ms) / Math.max(1, v.calls - b.calls)).toFixed(2)) };
  }
  const redis: Record<string, number> = {};
  for (const [cmd, v] of Object.entries(after.redis)) if (v - (before.redis[cmd] ?? 0) > 0) redis[cmd] = per(v - (before.redis[cmd] ?? 0));
  return { messages, mongo, redis };
}
