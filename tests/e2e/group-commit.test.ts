import test from 'ava';
import { MongoClient, ServerApiVersion, type Collection } from 'mongodb';
import { GroupCommit } from '../../engine/store/group-commit.ts';
import { sharedMongoUrl } from '../support/services.ts';
import { uniqueName } from '../../scripts/lib/unique-name.ts';

interface Doc {
  _id: string;
  key: string;
  [field: string]: unknown;
}

/** A real collection with a unique key, and a count of the insertMany calls made on it. */
async function collection(t: { teardown(fn: () => Promise<void>): void }): Promise<{ docs: Collection<Doc>; calls: () => number }> {
  const client = new MongoClient(sharedMongoUrl(), { serverApi: { version: ServerApiVersion.v1, strict: false } });
  await client.connect();
  const db = client.db(uniqueName('sbgroup'));
  t.teardown(async () => (await db.dropDatabase().catch(() => undefined), await client.close()));
  const docs = db.collection<Doc>('docs', { writeConcern: { w: 'majority', j: true } });
  await docs.createIndex({ key: 1 }, { unique: true });
  let calls = 0;
  const insertMany = docs.insertMany.bind(docs);
  docs.insertMany = ((...args: Parameters<typeof insertMany>) => (calls++, insertMany(...args))) as typeof docs.insertMany;
  return { docs, calls: () => calls };
}

test('documents submitted together share insertMany calls; each hears whether it was stored or a duplicate', async (t) => {
  const { docs, calls } = await collection(t);
  await docs.insertOne({ _id: 'old', key: 'k-existing' });
  const group = new GroupCommit({ collection: docs, maxBatch: 16, maxInFlight: 2 });

  const fresh = Array.from({ length: 60 }, (_, i) => ({ _id: `d${i}`, key: `k${i}` }));
  const again = [
    { _id: 'dup-old', key: 'k-existing' },
    { _id: 'dup-new', key: 'k7' },
  ];
  const outcomes = await Promise.all([...fresh, ...again].map((d) => group.insert(d)));

  t.deepEqual(outcomes.slice(0, 60), Array(60).fill('inserted'));
  t.deepEqual(outcomes.slice(60), ['duplicate', 'duplicate'], 'a stored key, and one first stored in the same burst');
  t.is(await docs.countDocuments({}), 61);
  // The first two go at once, one call each (two may be in flight); the other 60 wait and go in groups of 16.
  t.is(calls(), 2 + Math.ceil(60 / 16), `62 documents in ${calls()} insertMany calls`);

  // Alone, a document goes at once, in a call of its own.
  const before = calls();
  t.is(await group.insert({ _id: 'late', key: 'k-late' }), 'inserted');
  t.is(calls(), before + 1);
});

test('a group the server refuses for another reason fails every document in it; a resend is then de-duplicated', async (t) => {
  const { docs } = await collection(t);
  const group = new GroupCommit({ collection: docs, maxBatch: 16, maxInFlight: 1 });
  // The first call goes alone; the next three wait and go together, one of them a document no server stores.
  const first = group.insert({ _id: 'a', key: 'ka' });
  const rest = [
    group.insert({ _id: 'b', key: 'kb' }),
    group.insert({ _id: 'c', key: 'kc', $bad: 1 }),
    group.insert({ _id: 'd', key: 'kd' }),
  ];
  t.is(await first, 'inserted');
  const settled = await Promise.allSettled(rest);
  t.deepEqual(
    settled.map((s) => s.status),
    ['rejected', 'rejected', 'rejected'],
    'no document of the group is reported stored: its fate is open',
  );
  // The senders resend: what was stored after all is a duplicate, the rest is stored now.
  const resent = await Promise.all([group.insert({ _id: 'b2', key: 'kb' }), group.insert({ _id: 'd2', key: 'kd' })]);
  for (const outcome of resent) t.true(outcome === 'inserted' || outcome === 'duplicate');
  t.is(await docs.countDocuments({ key: { $in: ['kb', 'kd'] } }), 2, 'each once');
});
