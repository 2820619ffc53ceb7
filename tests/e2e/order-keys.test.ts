import test from 'ava';
import type { MessageState } from '../../engine/store/message-state.ts';
import type { MessageRecord } from '../../engine/store/message-record.ts';
import { STATES_COLLECTION, Store } from '../../engine/store/store.ts';
import { backfillOrderKeys } from '../../engine/store/order-keys.ts';
import { deadMessage, storeAfterEarlierVersion } from '../support/seed.ts';
import { sharedMongoUrl } from '../support/services.ts';
import { uniqueName } from '../../scripts/lib/unique-name.ts';

/** Message `i` for destination erp ordered by `key`, its delivery in `status`. */
function ordered(
  i: number,
  key: string,
  status: MessageRecord['deliveries'][string]['status'],
  messageStatus: MessageRecord['status'],
): MessageRecord {
  const m = deadMessage(i);
  return { ...m, status: messageStatus, deliveries: { erp: { ...m.deliveries.erp!, status, orderKey: key } } };
}

test('the head check of an ordered destination finds the earliest open message of its key, and only of its key', async (t) => {
  const store = new Store({ url: sharedMongoUrl(), dbName: uniqueName('sborder') });
  await store.start();
  t.teardown(() => store.close());
  const [a1, b1, a2, a3, a4] = [
    ordered(0, 'A', 'delivered', 'delivered'),
    ordered(1, 'B', 'pending', 'routed'),
    ordered(2, 'A', 'retrying', 'routed'),
    ordered(3, 'A', 'pending', 'routed'),
    ordered(4, 'A', 'pending', 'routed'),
  ];
  for (const m of [a1, b1, a2, a3, a4]) await store.messages.insert(m!);
  const blocker = (m: MessageRecord, deadBlocks = false) =>
    store.deliveryState.findOrderBlocker({ id: m._id, destinationId: 'erp', orderKey: 'A', deadBlocks });
  t.is(await blocker(a4!), a2!._id, 'the earliest open one of key A, not B');
  t.is(await blocker(a2!), undefined, 'a delivered message holds nothing');
  t.is(
    await store.deliveryState.findOrderBlocker({ id: a4!._id, destinationId: 'billing', orderKey: 'A', deadBlocks: false }),
    undefined,
    'another destination of the same key',
  );
  // Delivered: the entry goes, so the check reads only what can still hold the key.
  await store.deliveryState.update(a2!._id, 'erp', { status: 'delivered', seen: a2! });
  t.deepEqual((await store.collection<MessageState>(STATES_COLLECTION).findOne({ _id: a2!._id }))?.orderKeys, []);
  t.is(await blocker(a4!), a3!._id);
  await store.deliveryState.update(a3!._id, 'erp', { status: 'dead', seen: a3! });
  t.deepEqual(
    (await store.collection<MessageState>(STATES_COLLECTION).findOne({ _id: a3!._id }))?.orderKeys,
    ['erp|A'],
    'a dead head keeps its key',
  );
  t.is(await blocker(a4!, true), a3!._id);
  t.is(await blocker(a4!, false), undefined);
});

test('a replay gives its reopened deliveries their order keys again', async (t) => {
  const store = new Store({ url: sharedMongoUrl(), dbName: uniqueName('sborderreplay') });
  await store.start();
  t.teardown(() => store.close());
  const [first, second] = [ordered(0, 'A', 'pending', 'routed'), ordered(1, 'A', 'pending', 'routed')];
  for (const m of [first, second]) await store.messages.insert(m!);
  await store.deliveryState.update(first!._id, 'erp', { status: 'delivered', seen: first! });
  t.is(await store.deliveryState.findOrderBlocker({ id: second!._id, destinationId: 'erp', orderKey: 'A', deadBlocks: false }), undefined);
  const delivered = (await store.messages.get(first!._id))!;
  t.deepEqual(await store.replays.resetDeliveries(delivered, { from: 'delivered', destinationIds: ['erp'], events: [], replayId: 'r1' }), [
    'erp',
  ]);
  t.is(
    await store.deliveryState.findOrderBlocker({ id: second!._id, destinationId: 'erp', orderKey: 'A', deadBlocks: false }),
    first!._id,
    'the replayed message holds its key again',
  );
});

test('messages stored without orderKeys (an earlier version) get them at start, once, when they can still hold their key', async (t) => {
  // As an earlier version stored them: the key only in the delivery.
  const old = [
    ordered(0, 'A', 'dead', 'dead'),
    ordered(1, 'A', 'retrying', 'routed'),
    ordered(2, 'A', 'delivered', 'delivered'),
    ordered(3, 'A', 'pending', 'routed'),
  ];
  const store = await storeAfterEarlierVersion({ prefix: 'sborderfill', docs: old, marker: 'order-keys' });
  t.teardown(() => store.close());
  const messages = store.collection<MessageState>(STATES_COLLECTION);
  const meta = store.collection<{ _id: string; at: Date }>('meta');
  const keys = async (m: MessageRecord) => (await messages.findOne({ _id: m._id }))?.orderKeys;
  t.deepEqual(await keys(old[0]!), ['erp|A']);
  t.deepEqual(await keys(old[1]!), ['erp|A']);
  t.is(await keys(old[2]!), undefined, 'a delivered message holds no key; a replay gives it one');
  t.deepEqual(await keys(old[3]!), ['erp|A']);
  t.is(
    await store.deliveryState.findOrderBlocker({ id: old[3]!._id, destinationId: 'erp', orderKey: 'A', deadBlocks: false }),
    old[1]!._id,
  );
  t.is(await store.deliveryState.findOrderBlocker({ id: old[3]!._id, destinationId: 'erp', orderKey: 'A', deadBlocks: true }), old[0]!._id);
  await messages.updateOne({ _id: old[1]!._id }, { $unset: { orderKeys: '' } });
  t.is(await backfillOrderKeys(messages, meta), 0, 'done once per store');
});
