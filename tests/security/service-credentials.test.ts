import test, { type ExecutionContext } from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { MongoClient } from 'mongodb';
import { Redis } from 'ioredis';
import { PassThrough } from 'node:stream';
import { createLogger } from '../../engine/log.ts';
import { pgQuery, sharedMongoUrl, sharedRedisUrl, startPrivateMongo, startPrivateRedis } from '../support/services.ts';

/**
 * Issue 20, finding 2: a local user without the credentials scripts/services.sh provisions reaches
 * none of the services. The attacker is a process of the unprivileged user `nobody` (setpriv, so
 * the test runs as root: only root can change its user; elsewhere the tests are skipped): it tries
 * PostgreSQL without a password and Redis without credentials, and reads the secrets and data
 * directories in var/; the MongoDB-wire server is tried without credentials (mongoAnonymous).
 * Each attempt must fail for want of credentials, not because the service is down: the same
 * service answers this (root) process with the credentials
 * of `scripts/services.sh env`.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const VAR = path.join(ROOT, 'var');
const asRoot = process.getuid?.() === 0;
const rootTest = asRoot ? test : test.skip;
// FerretDB's SQLite backend (SWITCHBOARD_FERRETDB_BACKEND=sqlite) runs no PostgreSQL.
const onPostgres = (process.env.SWITCHBOARD_FERRETDB_BACKEND ?? 'postgresql') === 'postgresql';
const pgTest = asRoot && onPostgres ? test : test.skip;
const run = promisify(execFile);

/** `command` as the user nobody, with an environment that holds no password, in the repository. */
async function asNobody(command: string, args: string[]): Promise<{ code: number; out: string }> {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent', PGPASSFILE: '/nonexistent' };
  try {
    const { stdout, stderr } = await run('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', '--', command, ...args], {
      env,
      cwd: ROOT,
      timeout: 30_000,
    });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string; message: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/**
 * Reads the list of databases and one collection through the MongoDB-wire server at host:port, with
 * no credentials. From this test's own process, not as nobody: what refuses the client is the
 * server's authentication, which does not know the OS user, and nobody may not be able to read the
 * driver in the checkout at all (a clone in a 0700 folder, as mktemp makes).
 */
async function mongoAnonymous(port: number): Promise<string> {
  const client = new MongoClient(`mongodb://127.0.0.1:${port}/`, { serverSelectionTimeoutMS: 5000 });
  const out: string[] = [];
  try {
    const { databases } = await client.db('admin').admin().listDatabases({ nameOnly: true });
    out.push(`LISTED ${databases.length}`);
  } catch (e) {
    out.push(`REFUSED list: ${(e as Error).message}`);
  }
  try {
    out.push(`READ ${(await client.db('switchboard').collection('users').find().limit(1).toArray()).length}`);
  } catch (e) {
    out.push(`REFUSED read: ${(e as Error).message}`);
  }
  await client.close();
  return out.join('\n');
}

async function redisPingAsNobody(t: ExecutionContext, port: number): Promise<void> {
  const ping = await asNobody('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'PING']);
  t.regex(ping.out, /NOAUTH/, `redis-cli PING without a password on port ${port}`);
  const keys = await asNobody('redis-cli', ['-h', '127.0.0.1', '-p', String(port), '--scan']);
  t.regex(keys.out, /NOAUTH/, `redis-cli --scan without a password on port ${port}`);
}

function assertMongoRefused(t: ExecutionContext, out: string, port: number): void {
  t.notRegex(out, /LISTED|READ/, `an anonymous client of the MongoDB-wire server on port ${port} listed or read: ${out}`);
  t.regex(out, /REFUSED list: [\s\S]*(auth|password|Unauthorized)/i, out);
}

pgTest('the shared PostgreSQL refuses a local user without the password, and answers with it', async (t) => {
  const set = process.env.SWITCHBOARD_PG_URL;
  if (!set) return t.fail('SWITCHBOARD_PG_URL is not set (export the lines of scripts/services.sh env)');
  const pg = new URL(set);
  t.not(pg.password, '', 'SWITCHBOARD_PG_URL carries the password');
  t.is(await pgQuery('postgres', 'SELECT 1'), '1', 'the password of scripts/services.sh env is accepted');
  const psql = (await run('bash', ['-c', 'ls -d /usr/lib/postgresql/*/bin/psql | sort -V | tail -n 1'])).stdout.trim();
  for (const [user, host] of [
    ['postgres', '127.0.0.1'],
    ['nobody', '127.0.0.1'],
    ['postgres', 'localhost'],
  ] as const) {
    const r = await asNobody(psql, ['-w', '-h', host, '-p', pg.port, '-U', user, '-d', 'postgres', '-tAc', 'SELECT 1']);
    t.not(r.code, 0, `psql -U ${user} -h ${host} without a password: ${r.out}`);
    t.regex(r.out, /password|authentication failed/i, r.out);
  }
});

// On SQLite, FerretDB 1.24 has no authentication the scripts enable (README, Security): skipped there.
pgTest('the shared MongoDB-wire server lists and reads nothing for a client without credentials, and everything with them', async (t) => {
  const url = new URL(sharedMongoUrl());
  t.not(url.password, '', 'MONGODB_URL carries the credentials');
  const client = await MongoClient.connect(url.toString(), { serverSelectionTimeoutMS: 5000 });
  t.teardown(() => client.close());
  t.true((await client.db('admin').admin().listDatabases({ nameOnly: true })).databases.length >= 0);
  assertMongoRefused(t, await mongoAnonymous(Number(url.port)), Number(url.port));
});

rootTest('the shared Redis answers NOAUTH to a client without the password, and PONG with it', async (t) => {
  const url = new URL(sharedRedisUrl());
  t.not(url.password, '', 'REDIS_URL carries the password');
  const redis = new Redis(url.toString(), { lazyConnect: true, maxRetriesPerRequest: 1 });
  t.teardown(() => redis.disconnect());
  await redis.connect();
  t.is(await redis.ping(), 'PONG');
  await redisPingAsNobody(t, Number(url.port));
});

rootTest('the secrets in var/secrets and the data directories are closed to other users', async (t) => {
  const secrets = ['postgres-password', 'redis-password'].map((f) => path.join(VAR, 'secrets', f));
  const dirs = [path.join(VAR, 'secrets'), path.join(VAR, 'redis'), path.join(VAR, 'ferretdb')];
  if (onPostgres) dirs.push(readFileSync(path.join(VAR, 'run/postgres.datadir'), 'utf8').trim());
  for (const file of secrets) {
    t.true(existsSync(file), `${file} exists`);
    if (!existsSync(file)) continue;
    t.is(statSync(file).mode & 0o777, 0o600, `${file} is mode 0600`);
    const r = await asNobody('cat', [file]);
    t.not(r.code, 0, `nobody read ${file}`);
  }
  for (const dir of dirs) {
    t.true(existsSync(dir), `${dir} exists`);
    if (!existsSync(dir)) continue;
    t.is(statSync(dir).mode & 0o777, 0o700, `${dir} is mode 0700`);
    const r = await asNobody('ls', [dir]);
    t.not(r.code, 0, `nobody listed ${dir}: ${r.out}`);
  }
});

rootTest('the private Redis and FerretDB of fault tests refuse clients without credentials too', async (t) => {
  const redis = await startPrivateRedis({ name: 'creds' });
  t.teardown(() => redis.close());
  t.not(new URL(redis.url).password, '', 'the private Redis URL carries its password');
  await redisPingAsNobody(t, redis.port);
  const mongo = await startPrivateMongo({ name: 'creds' });
  t.teardown(() => mongo.close());
  if (onPostgres) {
    t.not(new URL(mongo.url).password, '', 'the private FerretDB URL carries the credentials');
    assertMongoRefused(t, await mongoAnonymous(mongo.port), mongo.port);
  }
});

test('the log never carries the password of a service URL, in the message or a field', async (t) => {
  const stream = new PassThrough();
  let out = '';
  stream.on('data', (chunk: Buffer) => (out += chunk.toString()));
  for (const format of ['json', 'pretty'] as const) {
    const log = createLogger({ stream, format });
    log.error('cannot reach redis://:s3cret-redis@127.0.0.1:6390 now', {
      url: 'mongodb://postgres:s3cret-mongo@127.0.0.1:27027/?authMechanism=PLAIN',
      detail: 'postgres://postgres:s3cret-pg@127.0.0.1:6432/ferretdb',
    });
  }
  await new Promise((resolve) => setImmediate(resolve));
  t.regex(out, /redis:\/\/\[redacted\]@127\.0\.0\.1:6390/);
  t.regex(out, /mongodb:\/\/\[redacted\]@127\.0\.0\.1:27027/);
  t.notRegex(out, /s3cret/);
});
