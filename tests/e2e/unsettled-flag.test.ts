import test from 'ava';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { SwitchboardError } from '../../engine/errors.ts';
import { silentLogger } from '../../engine/log.ts';
import {
  deliveryJobId,
  deliveryQueueName,
  ROUTE_QUEUE,
  routeJobId,
  type DeliveryJobData,
  type RouteJobData,
} from '../../engine/queue/queues.ts';
import { DeliveryQueues } from '../../engine/queue/delivery-queues.ts';
import { Relay } from '../../engine/queue/relay.ts';
import type { MessageRecord } from '../../engine/store/message-record.ts';
import { STATES_COLLECTION, Store } from '../../engine/store/store.ts';
import { deadMessage, insertAsStored } from '../support/seed.ts';
import { sharedMongoUrl, sharedRedisUrl } from '../support/services.ts';
import { uniqueName } from '../../scripts/lib/unique-name.ts';

/**
 * The relay reads only messages carrying `unsettled: true` (on FerretDB the only filter it can pass
 * down to an index). A message in flight without it would never be relayed after a crash, so every
 * write of a status must keep the flag in step; these tests hold each writer to that.
 */

async function openStore(t: { teardown(fn: () => Promise<void>): void }): Promise<Store> {
  const store = new Store({ url: sharedMongoUrl(), dbName: uniqueName('sbflag') });
  await store.start();
  t.teardown(() => store.close());
  return store;
}

const pendingErp = (m: MessageRecord): MessageRecord['deliveries'] => ({
  erp: { ...m.deliveries.erp!, status: 'pending', lastError: undefined },
});

async function flagOf(store: Store, id: string): Promise<{ status: string; unsettled: unknown }> {
  const doc = await store.collection<MessageRecord>(STATES_COLLECTION).findOne({ _id: id }, { projection: { status: 1, unsettled: 1 } });
  return { status: doc!.status, unsettled: doc!.unsettled ?? null };
}

test('every write of a message status sets or removes the unsettled flag with it', async (t) => {
  const store = await openStore(t);
  const seeded = deadMessage(1);

  // Received at intake, then routed, delivered and settled.
  const received = { ...seeded, status: 'received' as const, deliveries: {} };
  await store.messages.insert(received);
  t.deepEqual(await flagOf(store, received._id), { status: 'received', unsettled: true });
  await store.messages.applyPlan(received._id, { status: 'routed', events: [], deliveries: pendingErp(seeded) });
  t.deepEqual(await flagOf(store, received._id), { status: 'routed', unsettled: true });
  await store.deliveryState.update(received._id, 'erp', { status: 'delivered' });
  t.deepEqual(await flagOf(store, received._id), { status: 'delivered', unsettled: null });

  // Replayed: back in flight, then dead.
  const delivered = (await store.messages.get(received._id))!;
  t.deepEqual(
    await store.replays.resetDeliveries(delivered, {
      from: 'delivered',
      destinationIds: ['erp'],
      events: [],
      replayId: 'r1',
      keys: { erp: 'k2' },
    }),
    ['erp'],
  );
  t.deepEqual(await flagOf(store, received._id), { status: 'routed', unsettled: true });
  await store.deliveryState.update(received._id, 'erp', { status: 'dead', lastError: { code: 'PEER_REJECTED', detail: '400' } });
  t.deepEqual(await flagOf(store, received._id), { status: 'dead', unsettled: null });

  // Errored by routing, then sent back to received by a re-route.
  const other = { ...deadMessage(2), status: 'received' as const, deliveries: {} };
  await store.messages.insert(other);
  await store.messages.applyPlan(other._id, { status: 'errored', error: new SwitchboardError('TRANSFORM_FAILED', 'no') });
  t.deepEqual(await flagOf(store, other._id), { status: 'errored', unsettled: null });
  t.true(await store.messages.resetForReroute(other._id));
  t.deepEqual(await flagOf(store, other._id), { status: 'received', unsettled: true });
  await store.messages.applyPlan(other._id, { status: 'filtered', events: [], deliveries: {}, reason: 'channel filter' });
  t.deepEqual(await flagOf(store, other._id), { status: 'filtered', unsettled: null });

  // Two destinations: the last to finish settles the message in its own write, if what it read still holds.
  const twoSeed = deadMessage(4);
  const pending = { status: 'pending' as const, attempts: [], sentEvents: 0 };
  const two = {
    ...twoSeed,
    status: 'routed' as const,
    deliveries: {
      erp: { ...pending, destinationId: 'erp', idempotencyKey: 'k-erp' },
      billing: { ...pending, destinationId: 'billing', idempotencyKey: 'k-billing' },
    },
  };
  await store.messages.insert(two);
  const seen = (await store.messages.getForDelivery(two._id))!;
  await store.deliveryState.update(two._id, 'erp', { status: 'delivered', seen });
  t.deepEqual(await flagOf(store, two._id), { status: 'routed', unsettled: true }, 'billing is still open');
  // billing's worker read the message before erp finished (seen: erp pending), so it does not settle it in its write.
  await store.deliveryState.update(two._id, 'billing', { status: 'dead', seen, lastError: { code: 'PEER_REJECTED', detail: '400' } });
  t.deepEqual(
    await flagOf(store, two._id),
    { status: 'partially-delivered', unsettled: null },
    'settled all the same, by the separate settle',
  );
  // A replay sets billing back to pending while erp's worker holds a read from before: the conditional write misses, and the
  // message stays routed.
  const before = (await store.messages.getForDelivery(two._id))!;
  t.deepEqual(await store.replays.resetDeliveries(before, { from: 'dead', destinationIds: ['billing'], events: [], replayId: 'r2' }), [
    'billing',
  ]);
  const stale = {
    status: 'routed' as const,
    deliveries: { ...before.deliveries, erp: { ...before.deliveries.erp!, status: 'retrying' as const } },
  };
  await store.deliveryState.update(two._id, 'erp', { status: 'delivered', seen: stale });
  t.deepEqual(await flagOf(store, two._id), { status: 'routed', unsettled: true }, 'billing is open again: not settled on a stale read');
  t.is((await store.messages.getForDelivery(two._id))!.deliveries.billing!.status, 'pending');

  // Stored settled at intake (dead here; rejected the same): no flag, whatever the record said.
  const dead = { ...deadMessage(3), unsettled: true as const };
  await store.messages.insert(dead);
  t.deepEqual(await flagOf(store, dead._id), { status: 'dead', unsettled: null });
});

test(
  'the relay flags messages in flight stored without the flag (an older ' +
    'version) and re-queues them; a flag left on a settled message is removed',
  async (t) => {
    const store = await openStore(t);
    const redis = new Redis(sharedRedisUrl(), { maxRetriesPerRequest: 1 });
    const prefix = uniqueName('sbq');
    const routeQueue = new Queue<RouteJobData>(ROUTE_QUEUE, { connection: redis, prefix });
    const erpQueue = new Queue<DeliveryJobData>(deliveryQueueName('ehr-mllp', 'erp'), { connection: redis, prefix });
    t.teardown(async () => (await routeQueue.close(), await erpQueue.close(), await redis.quit()));
    // Written straight, as an engine before the flag did: one received, one routed with a pending delivery.
    const received = { ...deadMessage(1), status: 'received' as const, deliveries: {} };
    const routedSeed = deadMessage(2);
    const routed = { ...routedSeed, status: 'routed' as const, deliveries: pendingErp(routedSeed) };
    // And a settled one carrying the flag, as a write around Store could leave it.
    const settled = { ...deadMessage(3), unsettled: true as const };
    await insertAsStored(store, [received, routed, settled]);

    /** A relay of this deployment (its own process, as it were) sweeping every `sweepMs`. */
    const relayWith = (sweepMs: number) => {
      const r = new Relay({
        store,
        routeQueue,
        deliveryQueues: new DeliveryQueues([{ channelId: 'ehr-mllp', destinationId: 'erp', queue: erpQueue }]),
        log: silentLogger(),
        intervalMs: 100,
        staleMs: 0,
        sweepMs,
      });
      t.teardown(() => r.close());
      return r;
    };
    const relay = relayWith(3_600_000);
    t.true(await relay.tick());
    t.deepEqual(await flagOf(store, received._id), { status: 'received', unsettled: true });
    t.deepEqual(await flagOf(store, routed._id), { status: 'routed', unsettled: true });
    t.deepEqual(await flagOf(store, settled._id), { status: 'dead', unsettled: null });
    t.truthy(await routeQueue.getJob(routeJobId(received._id)), 'the received message is queued for routing');
    t.truthy(await erpQueue.getJob(deliveryJobId(routed._id, 'erp')), 'the routed one for delivery');

    // The next passes read by the flag only: a message written without it now waits for the next sweep.
    const late = { ...deadMessage(4), status: 'received' as const, deliveries: {} };
    await insertAsStored(store, [late]);
    await relay.tick();
    t.deepEqual(await flagOf(store, late._id), { status: 'received', unsettled: null }, 'no sweep before RELAY_SWEEP_MS');
    // Nor by another process's relay: the time of the last sweep is kept in the store.
    const another = relayWith(3_600_000);
    await another.tick();
    t.deepEqual(await flagOf(store, late._id), { status: 'received', unsettled: null }, 'one sweep per deployment in RELAY_SWEEP_MS');
    // Once RELAY_SWEEP_MS has passed, the next pass sweeps again.
    await new Promise((r) => setTimeout(r, 50));
    const soon = relayWith(20);
    await soon.tick();
    t.deepEqual(await flagOf(store, late._id), { status: 'received', unsettled: true });
    t.truthy(await routeQueue.getJob(routeJobId(late._id)));
  },
);

test("the relay's query is served by an index of the messages in flight only", async (t) => {
  const store = await openStore(t);
  const states = store.collection<MessageRecord>(STATES_COLLECTION);
  // Enough settled messages that a whole-collection read would cost the planner more than the index.
  const docs = Array.from({ length: 3000 }, (_, i) => deadMessage(i));
  for (let i = 0; i < docs.length; i += 500) await insertAsStored(store, docs.slice(i, i + 500));
  await store.messages.insert({ ...deadMessage(9999), status: 'received', deliveries: {} });

  const filter = { unsettled: true, updatedAt: { $lt: new Date(Date.now() + 60_000) } } as const;
  const plan = await states.find(filter).limit(500).explain();
  const explained = JSON.stringify(plan);
  if (plan.serverInfo?.ferretdbVersion) {
    // FerretDB on PostgreSQL: the partial index scripts/ferretdb-indexes.sql provisions.
    t.true(plan.filterPushdown, 'FerretDB passes the flag down');
    t.regex(explained, /"Index Name":"sb_unsettled_/, 'PostgreSQL reads the partial index of unsettled messages');
  } else {
    t.regex(explained, /"indexName":"unsettled"/, 'MongoDB reads the sparse index');
  }
  t.is((await store.relay.findUnsettled(new Date(Date.now() + 60_000), 500)).length, 1);
});
