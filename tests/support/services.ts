/**
 * Services for tests.
 *
 * Most tests use the shared Redis and MongoDB-wire server that `npm test` starts
 * (scripts/services.sh, exported as REDIS_URL and MONGODB_URL), each test with its own queue prefix
 * and database name (uniqueName of scripts/lib/unique-name.ts). Tests that stop, flush, wipe or
 * pause a service start private instances here instead, so that other test files running at the
 * same time are not disturbed:
 *
 * - Redis: Debian's redis-server (SWITCHBOARD_REDIS_SERVER to use another), with the settings of
 *   the shared one: appendonly yes, appendfsync everysec, maxmemory-policy noeviction, no RDB.
 * - MongoDB wire: var/bin/ferretdb, built by `scripts/services.sh start --for-tests`, on the backend
 *   of the shared one (SWITCHBOARD_FERRETDB_BACKEND): a database of its own in the shared
 *   PostgreSQL (SWITCHBOARD_PG_URL), or SQLite files in its data directory. When MONGODB_URL points
 *   at an external server and no local binary exists, startPrivateMongo throws: fault tests need
 *   the local FerretDB.
 *
 * Each instance gets a free port on 127.0.0.1 and a data directory var/test-services/<name>-<random>/
 * (0700, removed by close()). The programs and that directory are those of scripts/services.env, the
 * table scripts/services.sh reads too. Like the shared ones, they ask for credentials (issue 20): a private
 * Redis has a password of its own (requirepass, in a 0600 redis.conf in its directory), a private
 * FerretDB on PostgreSQL takes the shared PostgreSQL's user and password (SASL PLAIN, passed on to
 * PostgreSQL); their `url` carries them. start() after stop() reuses both, so data persists, except through
 * wipeAndRestart(). Every child still running when the test process exits is SIGKILLed; those of a
 * test process that was killed (no 'exit' handler runs) are reaped by the next
 * `scripts/services.sh start --for-tests`, from the .owner file in their directory.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { MongoClient } from 'mongodb';
import { readServicesTable } from '../../scripts/lib/services-table.ts';

const { ferretdbBin: FERRETDB, testServicesDir: TEST_SERVICES, redisServer } = readServicesTable();
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
const execFileAsync = promisify(execFile);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The shared Redis started by `npm test` (scripts/services.sh). */
export function sharedRedisUrl(): string {
  const url = process.env.REDIS_URL;
  if (!url)
    throw new Error(
      'REDIS_URL is not set: run the tests with `npm test`, which starts the services ' +
        '(or export the lines of `bash scripts/services.sh env`)',
    );
  return url;
}

/** The shared MongoDB-wire server started by `npm test`. */
export function sharedMongoUrl(): string {
  const url = process.env.MONGODB_URL;
  if (!url)
    throw new Error(
      'MONGODB_URL is not set: run the tests with `npm test`, which starts the services ' +
        '(or export the lines of `bash scripts/services.sh env`)',
    );
  return url;
}

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** A port that was free a moment ago (bind to port 0, read it, close). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Sends AUTH and PING over a raw socket; true on +OK and +PONG (Redis answers -LOADING while it reads its AOF). */
async function redisPing(port: number, password: string): Promise<boolean> {
  return new Promise((resolve) => {
    let reply = '';
    const socket = net.connect({ port, host: '127.0.0.1' });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write(`AUTH ${password}\r\nPING\r\n`));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      const lines = reply.split('\r\n');
      if (lines.length > 2) done(lines[0] === '+OK' && lines[1]!.startsWith('+PONG'));
    });
  });
}

async function mongoPing(url: string): Promise<boolean> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 1000, connectTimeoutMS: 1000, socketTimeoutMS: 2000, maxPoolSize: 1 });
  try {
    await client.db('admin').command({ ping: 1 });
    return true;
  } catch {
    return false;
  } finally {
    await client.close().catch(() => {});
  }
}

class ExitedEarly extends Error {}

/** A server process that can be stopped and started again on the same port and data directory. */
class PrivateService {
  private child: ChildProcess | undefined;
  private output = '';
  constructor(
    public port: number,
    readonly dir: string,
    private readonly what: string,
    private readonly command: (port: number) => [string, string[]],
    private readonly ready: (port: number) => Promise<boolean>,
    private readonly database = '-',
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** First start: on a fresh free port, again on another one when the server exits (a port taken meanwhile). */
  async firstStart(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.start();
        return;
      } catch (err) {
        if (!(err instanceof ExitedEarly) || attempt >= 5) throw err;
        this.port = await freePort();
      }
    }
  }

  async start(): Promise<void> {
    if (this.child) return;
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const [cmd, args] = this.command(this.port);
    // No PGPASSWORD or ~/.pgpass: a FerretDB would serve clients without credentials with them.
    const { PGPASSWORD: _password, ...env } = process.env;
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...env, PGPASSFILE: '/dev/null' } });
    this.output = '';
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-4000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    let spawnError: Error | undefined;
    child.once('error', (err) => {
      spawnError = err;
      children.delete(child);
    });
    children.add(child);
    child.once('exit', () => children.delete(child));
    // A test that forgets close() must not keep its worker alive: the 'exit' handler kills the child.
    child.unref();
    for (const stream of [child.stdout, child.stderr]) (stream as net.Socket | null)?.unref();
    this.child = child;
    if (child.pid !== undefined) {
      // For `scripts/services.sh start --for-tests`, which reaps instances whose test process was
      // killed before its 'exit' handler could run: "<test pid> <server pid> <port> <database or ->".
      await writeFile(path.join(this.dir, '.owner'), `${process.pid} ${child.pid} ${this.port} ${this.database}\n`).catch(() => {});
    }
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      await sleep(0);
      if (spawnError) {
        this.child = undefined;
        throw new Error(`${this.what} could not be started (${cmd}): ${spawnError.message}`);
      }
      if (child.exitCode !== null || child.signalCode !== null) {
        this.child = undefined;
        throw new ExitedEarly(`${this.what} on port ${this.port} exited (${child.exitCode ?? child.signalCode}) at start:\n${this.output}`);
      }
      if (await this.ready(this.port)) return;
      if (Date.now() > deadline) {
        await this.stop();
        throw new Error(`${this.what} did not become ready on 127.0.0.1:${this.port} within ${READY_TIMEOUT_MS / 1000} s:\n${this.output}`);
      }
      await sleep(100);
    }
  }

  /** SIGTERM (and SIGCONT, in case it is paused), wait for the exit; SIGKILL after 10 s. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    child.kill('SIGCONT');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  signal(sig: NodeJS.Signals): void {
    if (!this.child) throw new Error(`${this.what} on port ${this.port} is not running`);
    this.child.kill(sig);
  }

  async close(): Promise<void> {
    await this.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}

function instanceDir(kind: string, name: string | undefined): string {
  const safe = (name ?? 'test').replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40);
  return path.join(TEST_SERVICES, `${kind}-${safe}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`);
}

export interface PrivateRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** stop and delete its data (AOF) so it restarts empty */
  wipeAndRestart(): Promise<void>;
  close(): Promise<void>;
}

/** A Redis of this test's own (noeviction, AOF every second, a password of its own), for tests that stop or wipe Redis. */
export async function startPrivateRedis(opts: { name?: string } = {}): Promise<PrivateRedis> {
  const dir = instanceDir('redis', opts.name);
  const program = process.env.SWITCHBOARD_REDIS_SERVER ?? redisServer;
  const password = randomBytes(16).toString('hex');
  const conf = path.join(dir, 'redis.conf');
  const svc = new PrivateService(
    await freePort(),
    dir,
    'redis-server',
    (port) => {
      // The password in a file, not on the command line (which every local user can read); written
      // at each start, as wipeAndRestart removes the directory.
      writeFileSync(conf, `requirepass ${password}\n`, { mode: 0o600 });
      return [
        program,
        [
          conf,
          '--bind',
          '127.0.0.1',
          '--port',
          String(port),
          '--protected-mode',
          'yes',
          '--dir',
          dir,
          '--appendonly',
          'yes',
          '--appendfsync',
          'everysec',
          '--save',
          '',
          '--maxmemory-policy',
          'noeviction',
          '--daemonize',
          'no',
          '--logfile',
          '',
        ],
      ];
    },
    (port) => redisPing(port, password),
  );
  try {
    await svc.firstStart();
  } catch (err) {
    await svc.close();
    throw err;
  }
  return {
    get url() {
      return `redis://:${password}@127.0.0.1:${svc.port}`;
    },
    get port() {
      return svc.port;
    },
    start: () => svc.start(),
    stop: () => svc.stop(),
    wipeAndRestart: async () => {
      await svc.stop();
      await rm(dir, { recursive: true, force: true });
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
  /** SIGSTOP: connections stay open, nothing is answered */
  pause(): Promise<void>;
  /** SIGCONT */
  resume(): Promise<void>;
  close(): Promise<void>;
}

/** createdb / dropdb of Debian's postgresql, against SWITCHBOARD_PG_URL (exported by scripts/services.sh env). */
async function pgClient(program: 'createdb' | 'dropdb', database: string): Promise<void> {
  const args = pgConnectionArgs();
  if (program === 'dropdb') args.push('--if-exists', '--force');
  await execFileAsync(pgProgram(program), [...args, database], { timeout: 30_000, env: pgEnv() });
}

/**
 * One SQL statement through Debian's psql, in database `database` of the project's PostgreSQL (FerretDB's
 * backend): its rows, one per line, fields separated by `|` (psql -tA). For tests that look at what FerretDB made there.
 */
export async function pgQuery(database: string, sql: string): Promise<string> {
  const { stdout } = await execFileAsync(pgProgram('psql'), [...pgConnectionArgs(), '-d', database, '-tAc', sql], {
    timeout: 30_000,
    env: pgEnv(),
  });
  return stdout.trim();
}

function pgProgram(program: 'createdb' | 'dropdb' | 'psql'): string {
  const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql') : [];
  const bin = versions
    .sort((a, b) => Number(a) - Number(b))
    .map((v) => `/usr/lib/postgresql/${v}/bin/${program}`)
    .filter((p) => existsSync(p))
    .at(-1);
  if (!bin) throw new Error(`${program} not found: \`bash scripts/services.sh start --for-tests\` installs postgresql`);
  return bin;
}

/** -w: never a prompt; the password goes in PGPASSWORD (pgEnv), never on the command line. */
function pgConnectionArgs(): string[] {
  const pg = pgUrl();
  return ['-w', '-h', pg.hostname, '-p', pg.port || '5432', '-U', decodeURIComponent(pg.username) || 'postgres'];
}

function pgEnv(): NodeJS.ProcessEnv {
  return { ...process.env, PGPASSWORD: decodeURIComponent(pgUrl().password), PGPASSFILE: '/dev/null' };
}

/** SWITCHBOARD_PG_URL of `scripts/services.sh env`: the shared PostgreSQL, with its user and password. */
function pgUrl(): URL {
  const set = process.env.SWITCHBOARD_PG_URL;
  if (!set)
    throw new Error('SWITCHBOARD_PG_URL is not set: run the tests with `npm test` (or export the lines of `bash scripts/services.sh env`)');
  return new URL(set);
}

/** A FerretDB of this test's own (var/bin/ferretdb), for tests that stop or pause the MongoDB-wire server. */
export async function startPrivateMongo(opts: { name?: string } = {}): Promise<PrivateMongo> {
  if (!existsSync(FERRETDB)) {
    throw new Error(
      `${FERRETDB} is missing: fault tests need the local FerretDB even when MONGODB_URL points elsewhere; ` +
        '`bash scripts/services.sh start --for-tests` builds it (needs Go)',
    );
  }
  const backend = process.env.SWITCHBOARD_FERRETDB_BACKEND ?? 'postgresql';
  if (backend !== 'postgresql' && backend !== 'sqlite')
    throw new Error(`SWITCHBOARD_FERRETDB_BACKEND must be postgresql or sqlite, not ${backend}`);
  const dir = instanceDir('ferretdb', opts.name);
  const database = path
    .basename(dir)
    .replace(/[^A-Za-z0-9_]/g, '_')
    .slice(0, 63); // ferretdb_<name>_<random>
  if (backend === 'postgresql') await pgClient('createdb', database);
  // The backend URL names no user and no password: FerretDB uses those of each client (PLAIN).
  const pg = backend === 'postgresql' ? pgUrl() : undefined;
  const backendArgs = pg
    ? ['--handler=postgresql', `--postgresql-url=postgres://${pg.host}/${database}`]
    : ['--handler=sqlite', `--sqlite-url=file:${dir}/`];
  const urlOf = (port: number) =>
    pg ? `mongodb://${pg.username}:${pg.password}@127.0.0.1:${port}/?authMechanism=PLAIN` : `mongodb://127.0.0.1:${port}/`;
  const svc = new PrivateService(
    await freePort(),
    dir,
    'ferretdb',
    (port) => [
      FERRETDB,
      [
        ...backendArgs,
        `--listen-addr=127.0.0.1:${port}`,
        `--state-dir=${dir}`,
        '--debug-addr=-',
        '--telemetry=disable',
        '--log-level=error',
      ],
    ],
    (port) => mongoPing(urlOf(port)),
    backend === 'postgresql' ? database : '-',
  );
  const dropDatabase = async () => {
    if (backend !== 'postgresql') return;
    try {
      await pgClient('dropdb', database);
    } catch {
      // a database left behind holds only test data that nothing reads again
    }
  };
  try {
    await svc.firstStart();
  } catch (err) {
    await svc.close();
    await dropDatabase();
    throw err;
  }
  return {
    get url() {
      return urlOf(svc.port);
    },
    get port() {
      return svc.port;
    },
    start: () => svc.start(),
    stop: () => svc.stop(),
    pause: async () => svc.signal('SIGSTOP'),
    resume: async () => svc.signal('SIGCONT'),
    close: async () => {
      await svc.close();
      await dropDatabase();
    },
  };
}
