import test from 'ava';
import { Redis } from 'ioredis';
import { startTestEngine, testChannel } from '../support/harness.ts';
import { startPrivateRedis } from '../support/services.ts';

test('the engine refuses to start when Redis may evict keys, and says how to fix it', async (t) => {
  const redis = await startPrivateRedis({ name: 'evict' });
  t.teardown(() => redis.close());
  const admin = new Redis(redis.url);
  await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
  await admin.quit();
  const err = await t.throwsAsync(startTestEngine({ channels: [testChannel({ erpUrl: 'http://127.0.0.1:9' })], redisUrl: redis.url }));
  t.regex(err!.message, /maxmemory-policy is 'allkeys-lru'.*noeviction/);
});

test('an unreachable MongoDB-wire server stops the start with a message naming MONGODB_URL', async (t) => {
  const err = await t.throwsAsync(
    startTestEngine({ channels: [testChannel({ erpUrl: 'http://127.0.0.1:9' })], mongoUrl: 'mongodb://127.0.0.1:9/' }),
  );
  t.regex(err!.message, /MONGODB_URL/);
});
