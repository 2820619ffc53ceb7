import test from 'ava';
import { MongoStore } from '../../engine/store/mongo-store.ts';
import { deadMessage } from '../support/seed.ts';
import { sharedMongoUrl, uniqueName } from '../support/services.ts';

test('a replay selection by message ids (one lookup per id) returns what the same filter selects without ids, limited to those ids, in the same order', async (t) => {
  const store = new MongoStore({ url: sharedMongoUrl(), dbName: uniqueName('sbselect') });
  await store.start();
  t.teardown(() => store.close());
  const base = Date.parse('2026-03-15T08:00:00Z');
  const messages = Array.from({ length: 8 }, (_, i) => {
    const m = deadMessage(i);
    const receivedAt = new Date(base + i * 60_000);
    return { ...m, receivedAt, updatedAt: receivedAt, channelId: i % 2 === 0 ? 'ehr-mllp' : 'lab-mllp', ...(i === 5 ? { status: 'delivered' as const, deliveries: { erp: { ...m.deliveries.erp!, status: 'delivered' as const } } } : {}) };
  });
  for (const m of messages) await store.insertMessage(m);
  const ids = [messages[6]!._id, messages[0]!._id, messages[5]!._id, messages[3]!._id, messages[4]!._id, 'not-stored'];
  const filters = [
    { status: 'dead' as const, order: 1 as const, limit: 100 },
    { status: 'dead' as const, order: -1 as const, limit: 2 },
    { status: 'dead' as const, order: 1 as const, limit: 100, channelId: 'ehr-mllp' },
    { status: 'dead' as const, order: 1 as const, limit: 100, from: new Date(base + 3 * 60_000), to: new Date(base + 5 * 60_000) },
    { status: 'delivered' as const, order: 1 as const, limit: 100 },
  ];
  for (const f of filters) {
    const byIds = (await store.findWithDeliveriesIn({ ...f, ids })).map((m) => m._id);
    const byFilter = (await store.findWithDeliveriesIn({ ...f, limit: 100 })).map((m) => m._id).filter((id) => ids.includes(id)).slice(0, f.limit);
    t.deepEqual(byIds, byFilter, JSON.stringify(f));
  }
  t.deepEqual((await store.findWithDeliveriesIn({ status: 'dead', order: 1, limit: 100, ids })).map((m) => m._id), [0, 3, 4, 6].map((i) => messages[i]!._id));
  const first = (await store.findWithDeliveriesIn({ status: 'dead', order: 1, limit: 100, ids }))[0];
  t.false(first !== undefined && ('raw' in first || 'canonical' in first), 'neither raw content nor canonical events are read');
});
