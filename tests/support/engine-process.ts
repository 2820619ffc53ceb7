import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import { REPO_ROOT } from './shared.ts';

export interface EngineProcess {
  child: ChildProcess;
  mllpPort: number;
  httpPort: number;
  /** Every JSON log line the process wrote so far (stderr). */
  lines: string[];
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Where and how a spawned engine runs, when not from this checkout's sources. */
export interface EngineLaunch {
  /** Working directory; default: the checkout. */
  cwd?: string;
  /** Node's arguments; default: `engine/main.ts` under tsx, or `bin/switchboard.js start <args>` when args are given. */
  argv?: string[];
  /** The environment the engine's settings are added to; default: this process's. */
  baseEnv?: NodeJS.ProcessEnv;
}

/**
 * Runs the real engine entry point (`engine/main.ts`, with the channels in channels/) as a child
 * process, as `npm start` would, and waits for its "engine started" line to learn the ports.
 * Log lines are JSON (LOG_FORMAT=json) whatever the environment says, so that line can be read.
 */
export function spawnEngine(env: Record<string, string>, args: string[] = [], launch: EngineLaunch = {}): Promise<EngineProcess> {
  const argv = launch.argv ?? (args.length > 0 ? ['bin/switchboard.js', 'start', ...args] : ['--import', 'tsx', 'engine/main.ts']);
  const child = spawn(process.execPath, argv, {
    cwd: launch.cwd ?? REPO_ROOT,
    env: { ...(launch.baseEnv ?? process.env), MLLP_PORT: '0', HTTP_PORT: '0', LOG_LEVEL: 'info', ...env, LOG_FORMAT: 'json' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`engine did not start:\n${lines.slice(-20).join('\n')}`)), 60_000);
    child.once('exit', (code) => reject(new Error(`engine exited with ${code}:\n${lines.slice(-20).join('\n')}`)));
    for (const stream of [child.stdout!, child.stderr!]) {
      readline.createInterface({ input: stream }).on('line', (line) => {
        lines.push(line);
        if (!line.includes('"engine started"')) return;
        const entry = JSON.parse(line) as { mllp: Record<string, number>; http: { port: number } | null };
        clearTimeout(timer);
        resolve({
          child,
          mllpPort: Object.values(entry.mllp)[0] ?? 0,
          httpPort: entry.http?.port ?? 0,
          lines,
          kill: async (signal = 'SIGKILL') => {
            if (child.exitCode === null && child.signalCode === null) child.kill(signal);
            await exited;
          },
        });
      });
    }
  });
}
