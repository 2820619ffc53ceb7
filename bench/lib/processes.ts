import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { openSync, closeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { freePort } from '../servers/peer-server.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const RESULTS = path.join(ROOT, 'bench/results');
const TSX = ['--import', 'tsx'];

/**
 * Runs a load generator (bench/load/<script>.ts) in its own process with `options` as JSON and
 * returns the JSON of its last line.
 */
export async function runLoad<T>(script: string, options: object): Promise<T> {
  const { stdout } = await promisify(execFile)(process.execPath, [...TSX, `bench/load/${script}.ts`, JSON.stringify(options)], {
    cwd: ROOT,
    maxBuffer: 64 << 20,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as T;
}

/** A comparison server (bench/servers/serve.ts) in its own process. */
export interface ServerProcess {
  port: number;
  pid: number;
  /** SIGTERM; resolves with the server's last JSON line (its counters). */
  stop(): Promise<Record<string, number>>;
}

export function startServer(kind: string, args: string[] = []): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...TSX, 'bench/servers/serve.ts', kind, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`server ${kind} exited with ${code}`)));
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      if (lines.length !== 1) return;
      const { port } = JSON.parse(line) as { port: number };
      resolve({
        port,
        pid: child.pid!,
        stop: async () => {
          child.kill('SIGTERM');
          await exited;
          return JSON.parse(lines.at(-1) ?? '{}') as Record<string, number>;
        },
      });
    });
  });
}

export interface EngineProcessOptions {
  role: 'all' | 'ingest' | 'worker';
  /** Database and queue prefix of this engine (fresh per benchmark; dropped at the end by the caller). */
  db: string;
  prefix: string;
  erpUrl: string;
  /** Environment on top of the run's (REDIS_URL, MONGODB_URL) and the above. */
  env?: Record<string, string>;
  /** Where the event-loop/memory probe writes one JSON line a second (bench/engine/loop-probe.ts). */
  probeFile?: string;
  /** Where the round-trip counter writes its totals (bench/engine/roundtrip-probe.ts). */
  roundTripFile?: string;
  /** The engine's JSON log lines go here. */
  logFile: string;
  /** CPU profile of the measured load, toggled by SIGUSR2 (bench/engine/cpu-probe.ts), into this file. */
  cpuProfileFile?: string;
}

/** The real engine entry point (engine/main.ts, channels/ as shipped) in its own process. */
export interface EngineProcess {
  pid: number;
  mllpPort: number;
  child: ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts the engine and waits for its "engine started" line in the log file. */
export async function startEngine(o: EngineProcessOptions): Promise<EngineProcess> {
  const mllpPort = o.role === 'worker' ? 0 : await freePort();
  const fd = openSync(o.logFile, 'a');
  const probes = [
    ...(o.probeFile ? ['--import', './bench/engine/loop-probe.ts'] : []),
    ...(o.roundTripFile ? ['--import', './bench/engine/roundtrip-probe.ts'] : []),
    ...(o.cpuProfileFile ? ['--import', './bench/engine/cpu-probe.ts'] : []),
  ];
  const args = [...TSX, ...probes, 'engine/main.ts'];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    stdio: ['ignore', fd, fd],
    env: {
      // As the Docker image and npm start run it (README, Configuration); a value in the environment wins.
      MALLOC_MMAP_THRESHOLD_: '4194304',
      MALLOC_TRIM_THRESHOLD_: '33554432',
      ...process.env,
      SWITCHBOARD_ROLE: o.role,
      MONGODB_DB: o.db,
      QUEUE_PREFIX: o.prefix,
      MLLP_PORT: String(mllpPort),
      HTTP_PORT: '0',
      ERP_BASE_URL: o.erpUrl,
      // The channels' throughput, without the demo flows (whose systems the bench does not run).
      FLOWS: 'none',
      FHIR_API_TOKEN: randomBytes(24).toString('base64url'),
      ...(o.probeFile ? { BENCH_PROBE_FILE: o.probeFile } : {}),
      ...(o.roundTripFile ? { BENCH_ROUNDTRIP_FILE: o.roundTripFile } : {}),
      ...(o.cpuProfileFile ? { BENCH_CPU_PROFILE_FILE: o.cpuProfileFile } : {}),
      ...o.env,
    },
  });
  closeSync(fd);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let startedLines = 0;
  const before = (await readFile(o.logFile, 'utf8').catch(() => '')).split('"engine started"').length - 1;
  const deadline = Date.now() + 60_000;
  while (startedLines <= before) {
    if (child.exitCode !== null) throw new Error(`engine (${o.role}) exited with ${child.exitCode}; see ${o.logFile}`);
    if (Date.now() > deadline) throw new Error(`engine (${o.role}) did not start in 60 s; see ${o.logFile}`);
    await new Promise((r) => setTimeout(r, 100));
    startedLines = (await readFile(o.logFile, 'utf8')).split('"engine started"').length - 1;
  }
  return {
    pid: child.pid!,
    mllpPort,
    child,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
