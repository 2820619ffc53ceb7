import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FERRETDB = path.join(ROOT, 'var/bin/ferretdb');

/** The shared Redis started by `npm test` (scripts/services.sh). */
export function sharedRedisUrl(): string {
  const url = process.env.REDIS_URL;
  if (!url) throw new Error('REDIS_URL is not set: run the tests with `npm test`, which starts the services');
  return url;
}

/** The shared MongoDB-wire server started by `npm test`. */
export function sharedMongoUrl(): string {
  const url = process.env.MONGODB_URL;
  if (!url) throw new Error('MONGODB_URL is not set: run the tests with `npm test`, which starts the services');
  return url;
}

/** A name unique to this run, for databases and queue prefixes ([a-z0-9_]). */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, what: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const s = net.connect({ port, host: '127.0.0.1' }, () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not listen on ${port}`);
}

/** A service process that can be stopped and started again on the same port and data directory. */
class PrivateService {
  private child: ChildProcess | undefined;
  constructor(
    readonly port: number,
    readonly dir: string,
    private readonly what: string,
    private readonly command: () => [string, string[]],
  ) {}

  async start(): Promise<void> {
    if (this.child) return;
    const [cmd, args] = this.command();
    const child = spawn(cmd, args, { stdio: 'ignore' });
    children.add(child);
    child.once('exit', () => children.delete(child));
    this.child = child;
    await waitForPort(this.port, this.what, child);
  }

  /** SIGTERM and wait for exit (Redis flushes its AOF on the way out). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }

  signal(sig: NodeJS.Signals): void {
    this.child?.kill(sig);
  }

  async close(): Promise<void> {
    this.child?.kill('SIGCONT');
    await this.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}

export interface PrivateRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it, deletes its data (AOF) and starts it empty, like a Redis that lost everything. */
  wipeAndRestart(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A Redis of this test's own (noeviction, AOF), for tests that stop or wipe Redis without
 * disturbing the shared one. Data under var/test-services/, removed on close.
 */
export async function startPrivateRedis(opts: { name?: string } = {}): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = path.join(ROOT, 'var/test-services', uniqueName(`redis-${opts.name ?? 'x'}`));
  await mkdir(dir, { recursive: true });
  const svc = new PrivateService(port, dir, 'redis-server', () => [
    'redis-server',
    ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--appendonly', 'yes', '--save', '', '--maxmemory-policy', 'noeviction', '--daemonize', 'no', '--logfile', ''],
  ]);
  await svc.start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start: () => svc.start(),
    stop: () => svc.stop(),
    wipeAndRestart: async () => {
      await svc.stop();
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
      await svc.start();
    },
    close: () => svc.close(),
  };
}

export interface PrivateMongo {
  url: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** SIGSTOP: the server holds connections open but answers nothing. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  close(): Promise<void>;
}

/** Runs a PostgreSQL client program (createdb, dropdb) from Debian's postgresql against SWITCHBOARD_PG_URL. */
function pgClient(program: 'createdb' | 'dropdb', database: string): void {
  const pg = new URL(process.env.SWITCHBOARD_PG_URL ?? 'postgres://postgres@127.0.0.1:6432');
  const bin = readdirSync('/usr/lib/postgresql').sort().map((v) => `/usr/lib/postgresql/${v}/bin/${program}`).filter(existsSync).at(-1);
  if (!bin) throw new Error(`${program} not found: scripts/services.sh start --for-tests installs postgresql`);
  execFileSync(bin, ['-h', pg.hostname, '-p', pg.port || '5432', '-U', pg.username || 'postgres', database], { stdio: 'ignore' });
}

/**
 * A MongoDB-wire server of this test's own: a FerretDB process (var/bin/ferretdb, built by
 * scripts/services.sh) on a database of its own in the shared PostgreSQL, for tests that stop or
 * pause the MongoDB-wire server. Needs the local binary even when MONGODB_URL is external.
 */
export async function startPrivateMongo(opts: { name?: string } = {}): Promise<PrivateMongo> {
  if (!existsSync(FERRETDB)) throw new Error(`${FERRETDB} is missing: fault tests need the local FerretDB (bash scripts/services.sh start --for-tests builds it)`);
  const port = await freePort();
  const name = uniqueName(`ferretdb_${opts.name ?? 'x'}`);
  const dir = path.join(ROOT, 'var/test-services', name);
  await mkdir(dir, { recursive: true });
  pgClient('createdb', name);
  const pgUrl = `${(process.env.SWITCHBOARD_PG_URL ?? 'postgres://postgres@127.0.0.1:6432').replace(/\/$/, '')}/${name}`;
  const svc = new PrivateService(port, dir, 'ferretdb', () => [
    FERRETDB,
    ['--handler=postgresql', `--postgresql-url=${pgUrl}`, `--listen-addr=127.0.0.1:${port}`, '--debug-addr=-', '--telemetry=disable', '--log-level=error', `--state-dir=${dir}`],
  ]);
  await svc.start();
  return {
    url: `mongodb://127.0.0.1:${port}/`,
    port,
    start: () => svc.start(),
    stop: () => svc.stop(),
    pause: async () => svc.signal('SIGSTOP'),
    resume: async () => svc.signal('SIGCONT'),
    close: async () => {
      await svc.close();
      try {
        pgClient('dropdb', name);
      } catch {
        // a test database left behind holds only test data; nothing reads it again
      }
    },
  };
}
