import test from 'ava';
import type { MessageRecord } from '../../engine/store/message-record.ts';
import { STATE_FIELDS, type MessageState } from '../../engine/store/message-state.ts';
import { backfillStateLayout, STATE_LAYOUT_MARKER } from '../../engine/store/state-layout.ts';
import { STATES_COLLECTION, Store } from '../../engine/store/store.ts';
import { deadMessage, storeAfterEarlierVersion } from '../support/seed.ts';
import { sharedMongoUrl } from '../support/services.ts';

/** Message `i` as routed with its delivery to `erp` still pending. */
function routed(i: number): MessageRecord {
  const m = deadMessage(i);
  return {
    ...m,
    status: 'routed',
    unsettled: true,
    deliveries: { erp: { ...m.deliveries.erp!, status: 'pending', lastError: undefined } },
  };
}

test(
  'messages of an earlier version (one document each) get their state document at start and lose the state ' +
    'fields; they read back as before, and the relay finds the one in flight',
  async (t) => {
    const docs = [routed(0), deadMessage(1), { ...deadMessage(2), status: 'delivered' as const }];
    const store = await storeAfterEarlierVersion({ prefix: 'sblayout', docs, marker: STATE_LAYOUT_MARKER });
    t.teardown(() => store.close());
    const messages = store.collection<MessageRecord>('messages');
    const states = store.collection<MessageState>(STATES_COLLECTION);
    for (const doc of docs) {
      const content = await messages.findOne({ _id: doc._id });
      for (const field of STATE_FIELDS) t.false(field in content!, `${field} left the message`);
      t.like(await states.findOne({ _id: doc._id }), { status: doc.status, channelId: 'ehr-mllp', receivedAt: doc.receivedAt });
      const read = await store.messages.get(doc._id);
      t.is(read?.status, doc.status);
      t.deepEqual(read?.deliveries.erp?.status, doc.deliveries.erp?.status);
      t.deepEqual(read?.raw, doc.raw);
    }
    const inFlight = await store.relay.findUnsettled(new Date(Date.now() + 60_000), 10);
    t.deepEqual(
      inFlight.map((m) => m._id),
      [docs[0]!._id],
    );
    t.is(
      await backfillStateLayout({ messages: store.collection('messages'), states, meta: store.collection('meta') }),
      0,
      'once per store',
    );
  },
);

test('a move cut short (a state stored, its message not yet cleared) is finished by the next start, keeping that state', async (t) => {
  const docs = [routed(10), routed(11)];
  const seeded = await storeAfterEarlierVersion({ prefix: 'sblayoutcut', docs, marker: STATE_LAYOUT_MARKER });
  const dbName = seeded.collection('meta').dbName;
  const states = seeded.collection<MessageState>(STATES_COLLECTION);
  // As a run interrupted after its state insert: the message holds its fields again, and the state is newer.
  await seeded.collection<MessageRecord>('messages').updateOne({ _id: docs[0]!._id }, { $set: { status: 'routed', deliveries: {} } });
  await states.updateOne({ _id: docs[0]!._id }, { $set: { status: 'delivered' } });
  await seeded.collection<{ _id: string }>('meta').deleteOne({ _id: STATE_LAYOUT_MARKER });
  await seeded.close();
  const store = new Store({ url: sharedMongoUrl(), dbName });
  await store.start();
  t.teardown(() => store.close());
  t.is((await store.messages.get(docs[0]!._id))?.status, 'delivered', 'the stored state is kept');
  const content = await store.collection<MessageRecord>('messages').findOne({ _id: docs[0]!._id });
  t.false('status' in content!, 'and the message is cleared');
  t.is((await store.messages.get(docs[1]!._id))?.status, 'routed');
});
