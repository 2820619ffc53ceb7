import test from 'ava';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { silentLogger } from '../../engine/log.ts';
import { RedisLease } from '../../engine/queue/lease.ts';
import { deliveryJobId, deliveryQueueName, ROUTE_QUEUE, type DeliveryJobData, type RouteJobData } from '../../engine/queue/queues.ts';
import { DeliveryQueues } from '../../engine/queue/delivery-queues.ts';
import { Relay } from '../../engine/queue/relay.ts';
import { Store } from '../../engine/store/store.ts';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, testChannel, waitFor } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';
import { deadMessage } from '../support/seed.ts';
import { sharedMongoUrl, sharedRedisUrl } from '../support/services.ts';
import { uniqueName } from '../../scripts/lib/unique-name.ts';

/**
 * A store, Redis queues and a lease key of their own, a relay factory over them (one per simulated
 * process, sharing the lease key), and a message stored routed with its delivery pending but no job
 * in Redis (as after a crash or a flushed Redis).
 */
async function setup(t: { teardown(fn: () => Promise<unknown>): void }, o: { intervalMs: number }) {
  const store = new Store({ url: sharedMongoUrl(), dbName: uniqueName('sbrelay') });
  await store.start();
  const redis = new Redis(sharedRedisUrl(), { maxRetriesPerRequest: 1 });
  const prefix = uniqueName('sbq');
  const key = `${prefix}:relay:lease`;
  const routeQueue = new Queue<RouteJobData>(ROUTE_QUEUE, { connection: redis, prefix });
  const erpQueue = new Queue<DeliveryJobData>(deliveryQueueName('ehr-mllp', 'erp'), { connection: redis, prefix });
  t.teardown(async () => (await routeQueue.close(), await erpQueue.close(), await redis.quit(), await store.close()));
  const relay = (ttlMs: number) =>
    new Relay({
      store,
      routeQueue,
      deliveryQueues: new DeliveryQueues([{ channelId: 'ehr-mllp', destinationId: 'erp', queue: erpQueue }]),
      log: silentLogger(),
      intervalMs: o.intervalMs,
      staleMs: 0,
      lease: new RedisLease({ redis, key, ttlMs }),
    });
  const seeded = deadMessage(1);
  const message = { ...seeded, status: 'routed' as const, deliveries: { erp: { ...seeded.deliveries.erp!, status: 'pending' as const } } };
  await store.messages.insert(message);
  const requeued = async () => Boolean(await erpQueue.getJob(deliveryJobId(message._id, 'erp')));
  return { redis, key, relay, requeued };
}

test(
  'relays of several processes share one lease: one pass at a time ' +
    're-queues what Redis lacks; a released or expired lease passes to another',
  async (t) => {
    // Two processes' relays (never started: each pass is the test's), one lease key.
    const { relay, requeued } = await setup(t, { intervalMs: 100 });
    const a = relay(60_000);
    const b = relay(300);

    t.true(await a.tick(), 'a holds the lease and passes');
    t.true(await requeued(), 'the missing job is back');
    t.false(await b.tick(), 'b does not pass while a holds the lease');
    t.true(await a.tick(), 'a renews it');
    await a.close();
    t.true(await b.tick(), 'a released it: b passes');
    // b's lease lapses (its holder stops renewing, as a killed process would): c takes it over.
    const c = relay(60_000);
    await new Promise((r) => setTimeout(r, 400));
    t.true(await c.tick());
    t.false(await b.tick());
    await Promise.all([b.close(), c.close()]);
  },
);

test(
  'a started relay rests after each pass in proportion to its cost and ' +
    'keeps the lease through the rest, so no other process passes meanwhile',
  async (t) => {
    // A TTL a pass cannot outlast even on a loaded machine (a pass longer than its TTL loses the lease,
    // and the check below would read no key at all), and a rest long enough to be seen.
    const ttlMs = 2000;
    const { redis, key, relay, requeued } = await setup(t, { intervalMs: 1000 });
    const a = relay(ttlMs);
    const b = relay(ttlMs);
    t.teardown(async () => (await a.close(), await b.close()));

    a.start();
    while (!(await requeued())) await new Promise((r) => setTimeout(r, 10));
    // After its pass, a holds the lease for its rest plus the TTL: longer than the TTL alone.
    let held = 0;
    for (let i = 0; i < 400 && held <= ttlMs; i++) {
      held = await redis.pttl(key);
      if (held <= ttlMs) await new Promise((r) => setTimeout(r, 5));
    }
    t.true(held > ttlMs, `lease kept for ${held} ms`);
    t.true(a.restMs() >= 1000);
    t.false(await b.tick(), 'b does not pass while a rests');
  },
);

/** Every Redis key under a test's own queue prefix. */
async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const batch of redis.scanStream({ match: `${prefix}:*`, count: 500 }) as AsyncIterable<string[]>) keys.push(...batch);
  return keys;
}

test(
  'a message stored whose job is gone from Redis (its keys deleted while ' +
    "no worker ran) is re-queued by a fresh engine's relay and delivered once",
  async (t) => {
    const erp = await startErpSimulator();
    t.teardown(() => erp.close());
    const shared = { dbName: uniqueName('sbrelay'), prefix: uniqueName('sbq') };
    const channels = [testChannel({ erpUrl: erp.url })];
    // An ingest-only engine: it stores the message and queues its delivery, and runs no worker and no relay.
    const ingest = await startTestEngine({ channels, ...shared, config: { SWITCHBOARD_ROLE: 'ingest' } });
    const client = await MllpTestClient.connect(ingest.mllpPort);
    const ack = await client.send(
      'MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315083000||ADT^A01^ADT_A01|RELAY0001|P|2.5.1\r' +
        'EVN|A01|20260315083000\rPID|1||55501^^^GENHOSP^MR\rPV1|1|I|4W||||||||||||||||VRELAY1\r',
    );
    client.close();
    t.is(field(ack, 'MSA', 1), 'AA');
    const [stored] = await ingest.engine.store!.messages.list({ controlId: 'RELAY0001', limit: 1 });
    await ingest.close();
    if (!stored) return t.fail('the acknowledged message is not stored');

    // The job is truly gone: every key of this test's queue prefix deleted (no other test's keys).
    const redis = new Redis(sharedRedisUrl(), { maxRetriesPerRequest: 1 });
    t.teardown(() => redis.quit());
    const keys = await keysUnder(redis, shared.prefix);
    t.true(
      keys.some((k) => k.endsWith(`:${deliveryJobId(stored._id, 'erp')}`)),
      'intake had queued the delivery',
    );
    await redis.del(...keys);
    t.deepEqual(await keysUnder(redis, shared.prefix), [], 'nothing left for BullMQ to recover');
    t.is(erp.postings().length, 0);

    const engine = await startTestEngine({ channels, ...shared });
    t.teardown(() => engine.close());
    await waitFor(
      'delivery of the message whose job was gone',
      async () => (await engine.engine.store!.messages.get(stored._id))?.deliveries.erp?.status === 'delivered',
    );
    // Further passes find it settled and queue nothing more.
    await engine.engine.relay!.tick();
    await engine.engine.relay!.tick();
    t.is(erp.postings().length, 1);
    t.like(erp.postings()[0], { idempotencyKey: `${stored._id}:erp`, deliveries: 1 });
  },
);
