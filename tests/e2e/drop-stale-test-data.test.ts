import test from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { MongoClient } from 'mongodb';
import { Redis } from 'ioredis';
import { startPrivateMongo, startPrivateRedis } from '../support/services.ts';
import { uniqueName } from '../../scripts/lib/unique-name.ts';

const run = promisify(execFile);
/** A name as uniqueName made it `hoursAgo` hours ago. */
const madeAgo = (prefix: string, hoursAgo: number) =>
  `${prefix}_${(Date.now() - hoursAgo * 3_600_000).toString(36)}_${Math.random().toString(36).slice(2, 8)}`;

test(
  'stale test databases and queue keys are removed; fresh, ' + 'benchmark and foreign ones stay (benchmark ones go with --bench)',
  async (t) => {
    // Services of its own: with --bench the script drops every benchmark database and queue.
    const [redis, store] = await Promise.all([startPrivateRedis({ name: 'drop-stale' }), startPrivateMongo({ name: 'drop-stale' })]);
    const client = new Redis(redis.url);
    const mongo = await MongoClient.connect(store.url);
    const stale = { queue: madeAgo('sbq', 7), db: madeAgo('sbtest', 7) };
    const fresh = { queue: uniqueName('sbq'), db: uniqueName('sbtest') };
    const benchName = `sbbench_${Date.now().toString(36).slice(-6)}_soak`;
    try {
      for (const prefix of [stale.queue, fresh.queue, benchName]) {
        await client.set(`${prefix}:deliver-erp:meta`, 'x');
        await client.rpush(`${prefix}:deliver-erp:wait`, '1', '2');
      }
      await client.set('hospital:config', 'kept');
      for (const db of [stale.db, fresh.db, benchName])
        await mongo
          .db(db)
          .collection('messages')
          .insertOne({ _id: 'x' } as never);
      const script = (...args: string[]) =>
        run(process.execPath, ['--import', 'tsx', 'scripts/drop-stale-test-data.ts', ...args], {
          env: { ...process.env, REDIS_URL: redis.url, MONGODB_URL: store.url },
        });

      const { stdout } = await script();
      t.regex(stdout, /removed 2 Redis key\(s\) of 1 queue prefix/);
      t.deepEqual(await client.keys(`${stale.queue}:*`), []);
      t.is((await client.keys(`${fresh.queue}:*`)).length, 2);
      t.is((await client.keys(`${benchName}:*`)).length, 2);
      t.is(await client.get('hospital:config'), 'kept');
      const names = (await mongo.db('admin').admin().listDatabases({ nameOnly: true })).databases.map((d) => d.name);
      t.false(names.includes(stale.db));
      t.true(names.includes(fresh.db));
      t.true(names.includes(benchName));

      await script('--bench');
      t.deepEqual(await client.keys(`${benchName}:*`), []);
      t.is((await client.keys(`${fresh.queue}:*`)).length, 2);
      const left = (await mongo.db('admin').admin().listDatabases({ nameOnly: true })).databases.map((d) => d.name);
      t.false(left.includes(benchName));
      t.true(left.includes(fresh.db));
    } finally {
      await mongo.close();
      client.disconnect();
      await Promise.all([redis.close(), store.close()]);
    }
  },
);
