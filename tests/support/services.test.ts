import test from 'ava';
import { existsSync, readdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { sharedMongoUrl, sharedRedisUrl, startPrivateMongo, startPrivateRedis } from './services.ts';
import { readServicesTable } from '../../scripts/lib/services-table.ts';
import { uniqueName } from '../../scripts/lib/unique-name.ts';

function redisClient(url: string): Redis {
  return new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
}

async function withRedis<T>(url: string, fn: (r: Redis) => Promise<T>): Promise<T> {
  const r = redisClient(url);
  try {
    await r.connect();
    return await fn(r);
  } finally {
    r.disconnect();
  }
}

async function withMongo<T>(url: string, fn: (c: MongoClient) => Promise<T>, timeoutMS = 5000): Promise<T> {
  const c = new MongoClient(url, { serverSelectionTimeoutMS: timeoutMS, socketTimeoutMS: timeoutMS, connectTimeoutMS: timeoutMS });
  try {
    return await fn(c);
  } finally {
    await c.close().catch(() => {});
  }
}

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' }, () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

test('uniqueName: prefix, then unique, safe for database names and queue prefixes', (t) => {
  const names = new Set(Array.from({ length: 200 }, () => uniqueName('db')));
  t.is(names.size, 200);
  for (const n of names) t.regex(n, /^db_[a-z0-9]+_[a-z0-9]+$/);
});

test('shared URLs come from the environment, with a clear error without it', (t) => {
  const saved = { redis: process.env.REDIS_URL, mongo: process.env.MONGODB_URL };
  try {
    delete process.env.REDIS_URL;
    delete process.env.MONGODB_URL;
    t.throws(() => sharedRedisUrl(), { message: /REDIS_URL is not set: run the tests with `npm test`/ });
    t.throws(() => sharedMongoUrl(), { message: /MONGODB_URL is not set: run the tests with `npm test`/ });
    process.env.REDIS_URL = 'redis://127.0.0.1:1';
    process.env.MONGODB_URL = 'mongodb://127.0.0.1:2/';
    t.is(sharedRedisUrl(), 'redis://127.0.0.1:1');
    t.is(sharedMongoUrl(), 'mongodb://127.0.0.1:2/');
  } finally {
    if (saved.redis === undefined) delete process.env.REDIS_URL;
    else process.env.REDIS_URL = saved.redis;
    if (saved.mongo === undefined) delete process.env.MONGODB_URL;
    else process.env.MONGODB_URL = saved.mongo;
  }
});

test(
  'private Redis: the settings of the shared one; data survives stop/start (AOF); wipeAndRestart ' + 'empties it; close removes it',
  async (t) => {
    const redis = await startPrivateRedis({ name: 'selftest' });
    t.teardown(() => redis.close());
    t.regex(redis.url, /^redis:\/\/:[0-9a-f]{32}@127\.0\.0\.1:\d+$/, 'a password of its own');
    t.not(redis.url, process.env.REDIS_URL);
    const port = redis.port;

    await withRedis(redis.url, async (r) => {
      t.deepEqual(await r.config('GET', 'maxmemory-policy'), ['maxmemory-policy', 'noeviction']);
      t.deepEqual(await r.config('GET', 'appendonly'), ['appendonly', 'yes']);
      t.deepEqual(await r.config('GET', 'appendfsync'), ['appendfsync', 'everysec']);
      t.deepEqual(await r.config('GET', 'bind'), ['bind', '127.0.0.1']);
      await r.set('k', 'v1');
      await r.rpush('list', 'a', 'b');
    });

    await redis.stop();
    t.false(await listening(port), 'stopped: nothing listens on its port');
    await redis.start();
    t.is(redis.port, port, 'restarted on the same port');
    await withRedis(redis.url, async (r) => {
      t.is(await r.get('k'), 'v1', 'data survives stop/start');
      t.deepEqual(await r.lrange('list', 0, -1), ['a', 'b']);
    });

    await redis.wipeAndRestart();
    t.is(redis.port, port);
    await withRedis(redis.url, async (r) => {
      t.is(await r.dbsize(), 0, 'wiped: empty after the restart');
      await r.set('after-wipe', '1');
    });
    await redis.stop();
    await redis.start();
    t.is(await withRedis(redis.url, (r) => r.get('after-wipe')), '1', 'persistence still works after a wipe');

    await redis.close();
    t.false(await listening(port));
  },
);

test('private Redis instances are independent of each other', async (t) => {
  const [a, b] = await Promise.all([startPrivateRedis({ name: 'a' }), startPrivateRedis({ name: 'b' })]);
  t.teardown(async () => (await a.close(), await b.close()));
  t.not(a.port, b.port);
  await withRedis(a.url, (r) => r.set('only-in-a', '1'));
  t.is(await withRedis(b.url, (r) => r.get('only-in-a')), null);
  await a.stop();
  t.is(await withRedis(b.url, (r) => r.ping()), 'PONG', 'stopping one leaves the other up');
});

test('private MongoDB-wire server: data survives stop/start; pause stops answers, resume brings them back', async (t) => {
  const mongo = await startPrivateMongo({ name: 'selftest' });
  t.teardown(() => mongo.close());
  // On PostgreSQL, the shared PostgreSQL's user and password (PLAIN, passed on by FerretDB).
  t.regex(mongo.url, /^mongodb:\/\/([^:@/]+:[^@/]+@)?127\.0\.0\.1:\d+\/(\?authMechanism=PLAIN)?$/);
  t.not(mongo.url, process.env.MONGODB_URL);
  const port = mongo.port;
  const db = uniqueName('selftest');

  await withMongo(mongo.url, async (c) => {
    await c
      .db(db)
      .collection('docs')
      .insertOne({ _id: 'one' as never, n: 1 }, { writeConcern: { w: 'majority' } });
  });
  await mongo.stop();
  t.false(await listening(port));
  await mongo.start();
  t.is(mongo.port, port, 'restarted on the same port');
  const doc = await withMongo(mongo.url, (c) =>
    c
      .db(db)
      .collection('docs')
      .findOne({ _id: 'one' as never }),
  );
  t.is(doc?.n, 1, 'data survives stop/start');

  await mongo.pause();
  const started = Date.now();
  await t.throwsAsync(
    withMongo(mongo.url, (c) => c.db('admin').command({ ping: 1 }), 1500),
    undefined,
    'a paused server answers nothing',
  );
  t.true(Date.now() - started >= 1000);
  await mongo.resume();
  const pong = await withMongo(mongo.url, (c) => c.db('admin').command({ ping: 1 }));
  t.is(pong.ok, 1);

  await mongo.pause();
  await mongo.stop(); // stopping a paused server works too
  t.false(await listening(port));
  await mongo.close();
});

test('private instances keep their data under var/test-services/ and close() removes it', async (t) => {
  const redis = await startPrivateRedis({ name: 'dir check' });
  const { testServicesDir } = readServicesTable();
  const dirs = readdirSync(testServicesDir).filter((d) => d.startsWith('redis-dir_check-'));
  t.is(dirs.length, 1);
  const dir = path.join(testServicesDir, dirs[0]!);
  t.true(existsSync(dir));
  await redis.close();
  t.false(existsSync(dir));
});
