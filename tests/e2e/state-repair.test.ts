import test from 'ava';
import { newMessageId } from '../../engine/ids.ts';
import { splitRecord, type MessageContent, type MessageState } from '../../engine/store/message-state.ts';
import { STATES_COLLECTION, Store } from '../../engine/store/store.ts';
import { deadMessage } from '../support/seed.ts';
import { sharedMongoUrl } from '../support/services.ts';
import { uniqueName } from '../../scripts/lib/unique-name.ts';

async function openStore(t: import('ava').ExecutionContext): Promise<Store> {
  const store = new Store({ url: sharedMongoUrl(), dbName: uniqueName('sbrepair') });
  await store.start();
  t.teardown(() => store.close());
  return store;
}

/** Message `i`, routed, its delivery to `erp` pending. */
function routed(i: number) {
  const m = deadMessage(i);
  return {
    ...m,
    status: 'routed' as const,
    deliveries: { erp: { ...m.deliveries.erp!, status: 'pending' as const, lastError: undefined } },
  };
}

test("a state whose message was never stored (its insert failed beside the state's) is deleted when a worker meets it", async (t) => {
  const store = await openStore(t);
  const states = store.collection<MessageState>(STATES_COLLECTION);
  const stored = routed(1);
  await store.messages.insert(stored);
  // The other half of an intake whose message insert failed: its state alone, untouched for a while.
  const { state } = splitRecord({ ...routed(2), unsettled: true, updatedAt: new Date(Date.now() - 10 * 60_000) });
  await states.insertOne(state);
  const young = splitRecord({ ...routed(3), unsettled: true }).state;
  await states.insertOne(young);
  t.is(await store.messages.get(state._id), null, 'half a message is not read as one');
  for (const id of [state._id, young._id, stored._id]) await store.messages.dropOrphanState(id);
  t.is(await states.findOne({ _id: state._id }), null, 'the orphan state is gone');
  t.truthy(await states.findOne({ _id: young._id }), 'a young one may still get its message: kept for a later pass');
  t.truthy(await states.findOne({ _id: stored._id }), "a stored message's state stays");
});

test('a message stored without its state (no ACK was sent) is given one by the resend that meets it, and routed again', async (t) => {
  const store = await openStore(t);
  const first = routed(3);
  const { content } = splitRecord(first);
  await store.collection<MessageContent>('messages').insertOne(content);
  t.is(await store.messages.get(first._id), null, 'half a message is not read as one');
  const resend = await store.messages.insert({ ...routed(3), _id: newMessageId() });
  if (resend.inserted) return t.fail('the resend meets the stored message');
  t.is(resend.existing._id, first._id);
  t.is(resend.existing.status, 'received', 'routed again from its content by the route worker');
  t.deepEqual(resend.existing.deliveries, {});
  const found = await store.relay.findUnsettled(new Date(Date.now() + 60_000), 10);
  t.deepEqual(
    found.map((m) => [m._id, m.status]),
    [[first._id, 'received']],
    'the relay queues it for routing',
  );
  t.is(await store.collection<MessageState>(STATES_COLLECTION).countDocuments({}), 1, "the resend's own state is not left behind");
});
