import test from 'ava';
import type { MessageState } from '../../engine/store/message-state.ts';
import type { MessageRecord } from '../../engine/store/message-record.ts';
import { STATES_COLLECTION, Store } from '../../engine/store/store.ts';
import { backfillReplayIds } from '../../engine/store/replay-ids.ts';
import { deadMessage, storeAfterEarlierVersion } from '../support/seed.ts';
import { sharedMongoUrl } from '../support/services.ts';
import { uniqueName } from '../../scripts/lib/unique-name.ts';

/** Dead message `i` with a dead delivery to each of `destinations`. */
function deadTo(i: number, destinations: string[]): MessageRecord {
  const m = deadMessage(i);
  return {
    ...m,
    deliveries: Object.fromEntries(
      destinations.map((d) => [d, { ...m.deliveries.erp!, destinationId: d, idempotencyKey: `${m._id}:${d}` }]),
    ),
  };
}

test("a replay's read-back finds each delivery it set back to pending, by replayIds, and none of another replay's", async (t) => {
  const store = new Store({ url: sharedMongoUrl(), dbName: uniqueName('sbreplayids') });
  await store.start();
  t.teardown(() => store.close());
  const [a, b, c] = [deadTo(0, ['erp', 'billing']), deadTo(1, ['erp', 'billing']), deadTo(2, ['erp'])];
  for (const m of [a, b, c]) await store.messages.insert(m!);
  t.deepEqual(await store.replays.resetDeliveries(a!, { from: 'dead', destinationIds: ['erp', 'billing'], events: [], replayId: 'r1' }), [
    'erp',
    'billing',
  ]);
  t.deepEqual(await store.replays.resetDeliveries(b!, { from: 'dead', destinationIds: ['billing'], events: [], replayId: 'r1' }), [
    'billing',
  ]);
  t.deepEqual(await store.replays.resetDeliveries(c!, { from: 'dead', destinationIds: ['erp'], events: [], replayId: 'r2' }), ['erp']);
  const found = (await store.replays.findReplayed('r1')).map((d) => `${d.messageId}|${d.destinationId}|${d.idempotencyKey}`).sort();
  t.deepEqual(found, [`${a!._id}|billing|${a!._id}:billing`, `${a!._id}|erp|${a!._id}:erp`, `${b!._id}|billing|${b!._id}:billing`].sort());
  t.deepEqual(
    (await store.collection<MessageState>(STATES_COLLECTION).findOne({ _id: a!._id }))?.replayIds,
    ['r1'],
    'one entry for both destinations',
  );
  // Replayed again by r3: r1 no longer names the delivery, so r1 does not report it.
  const again = (await store.messages.get(c!._id))!;
  await store.deliveryState.update(c!._id, 'erp', { status: 'dead', seen: again });
  t.deepEqual(
    await store.replays.resetDeliveries((await store.messages.get(c!._id))!, {
      from: 'dead',
      destinationIds: ['erp'],
      events: [],
      replayId: 'r3',
    }),
    ['erp'],
  );
  t.deepEqual((await store.replays.findReplayed('r2')).length, 0);
  t.deepEqual(
    (await store.replays.findReplayed('r3')).map((d) => d.messageId),
    [c!._id],
  );
});

test('messages an earlier version replayed (replayId only in the delivery) get replayIds at start, once', async (t) => {
  // As an earlier version stored them: the replay's id only in the deliveries.
  const replayed = deadTo(0, ['erp', 'billing']);
  replayed.deliveries.erp = { ...replayed.deliveries.erp!, status: 'pending', replayId: 'r-old' };
  replayed.deliveries.billing = { ...replayed.deliveries.billing!, status: 'pending', replayId: 'r-old' };
  const untouched = deadTo(1, ['erp']);
  const store = await storeAfterEarlierVersion({ prefix: 'sbreplayfill', docs: [replayed, untouched], marker: 'replay-ids' });
  t.teardown(() => store.close());
  const messages = store.collection<MessageState>(STATES_COLLECTION);
  t.deepEqual((await messages.findOne({ _id: replayed._id }))?.replayIds, ['r-old']);
  t.is((await messages.findOne({ _id: untouched._id }))?.replayIds, undefined, 'a message never replayed gets nothing');
  t.deepEqual((await store.replays.findReplayed('r-old')).map((d) => d.destinationId).sort(), ['billing', 'erp']);
  await messages.updateOne({ _id: replayed._id }, { $unset: { replayIds: '' } });
  t.is(await backfillReplayIds(messages, store.collection('meta')), 0, 'done once per store');
});
