import test, { type ExecutionContext } from 'ava';
import type { MessageRecord } from '../../engine/store/message-record.ts';
import { StoreMetrics } from '../../engine/metrics/store-metrics.ts';
import { isFerretDb, MESSAGE_INDEXES, STATE_INDEXES } from '../../engine/store/message-indexes.ts';
import { MongoClient } from 'mongodb';
import { STATES_COLLECTION, Store } from '../../engine/store/store.ts';
import { receivedMinuteOf } from '../../engine/store/received-minute.ts';
import { searchKey } from '../../engine/store/search-keys.ts';
import { deadMessage, insertAsStored } from '../support/seed.ts';
import { pgQuery, sharedMongoUrl } from '../support/services.ts';
import { uniqueName } from '../../scripts/lib/unique-name.ts';

/**
 * scripts/ferretdb-indexes.sql applies only to FerretDB on its PostgreSQL backend, the default the
 * scripts start. Against another store (MONGODB_URL naming MongoDB, or FerretDB on SQLite) the tests
 * of its indexes are registered as skipped, so the summary line counts them as skipped, not passed.
 */
const onPostgres = await (async () => {
  const client = await MongoClient.connect(sharedMongoUrl());
  try {
    return (await isFerretDb(client.db('admin'))) && (process.env.SWITCHBOARD_FERRETDB_BACKEND ?? 'postgresql') === 'postgresql';
  } finally {
    await client.close();
  }
})();
const pgTest = onPostgres ? test : test.skip;

pgTest(
  'FerretDB on PostgreSQL: a lookup by _id reads the GIN index of scripts/ferretdb-indexes.sql, which has no pending list (fastupdate off)',
  async (t) => {
    const docs = Array.from({ length: 2000 }, (_, i) => deadMessage(i));
    const { dbName, messages } = await storeWith(t, 'sbidx', docs);
    const plan = await messages.find({ _id: docs[1234]!._id }).explain();
    t.regex(JSON.stringify(plan), /"Index Name":"sb_id_gin_/);
    // With fast update on, new entries wait in a pending list that every lookup reads in full until a vacuum.
    const [off, all] = (
      await pgQuery(
        'ferretdb',
        `SELECT count(*) FILTER (WHERE 'fastupdate=off' = ANY (c.reloptions)), ` +
          'count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace ' +
          `WHERE n.nspname = '${dbName}' AND c.relname LIKE 'sb_id_gin_%'`,
      )
    )
      .split('|')
      .map(Number);
    t.true(all! >= 1, 'a GIN index on _id in every table');
    t.is(off, all, 'every one without fast update');
  },
);

pgTest(
  'FerretDB on PostgreSQL: the head check of an ordered destination passes its key down and reads the orderKeys GIN index, not the table',
  async (t) => {
    const docs = Array.from({ length: 2000 }, (_, i) => {
      const m = deadMessage(i);
      return {
        ...m,
        status: 'routed' as const,
        orderKeys: [`erp|K${i % 400}`],
        deliveries: { erp: { ...m.deliveries.erp!, status: 'pending' as const, orderKey: `K${i % 400}` } },
      };
    });
    const { store, states } = await storeWith(t, 'sbidxorder', docs);
    // The query of DeliveryStateStore.findOrderBlocker.
    const plan = await states
      .find(
        { orderKeys: 'erp|K7', _id: { $lt: docs[1999]!._id }, 'deliveries.erp.status': { $in: ['pending', 'retrying'] } },
        { projection: { _id: 1 }, sort: { _id: 1 }, limit: 1 },
      )
      .explain();
    t.true(plan.filterPushdown, 'FerretDB passes the key down');
    t.regex(JSON.stringify(plan), /"Index Name":"sb_order_keys_/);
    t.is(
      await store.deliveryState.findOrderBlocker({ id: docs[1999]!._id, destinationId: 'erp', orderKey: 'K399', deadBlocks: false }),
      docs[399]!._id,
    );
  },
);

/** A fresh store holding `docs` (inserted 500 at a time, each as a message and its state), its tables analysed. */
async function storeWith(t: ExecutionContext, prefix: string, docs: MessageRecord[]) {
  const dbName = uniqueName(prefix);
  const store = new Store({ url: sharedMongoUrl(), dbName });
  await store.start();
  t.teardown(() => store.close());
  for (let i = 0; i < docs.length; i += 500) await insertAsStored(store, docs.slice(i, i + 500));
  for (const collection of ['messages', STATES_COLLECTION])
    await pgQuery('ferretdb', `ANALYZE "${dbName}".${await collectionTable(dbName, collection)}`);
  return {
    dbName,
    store,
    messages: store.collection<MessageRecord>('messages'),
    states: store.collection<MessageRecord>(STATES_COLLECTION),
  };
}

/** The PostgreSQL table FerretDB keeps `collection` of `dbName` in. */
async function collectionTable(dbName: string, collection: string): Promise<string> {
  return (
    await pgQuery(
      'ferretdb',
      'SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace ' +
        `WHERE n.nspname = '${dbName}' AND c.relname LIKE '${collection}_%' AND c.relkind = 'r'`,
    )
  ).trim();
}

pgTest(
  'FerretDB on PostgreSQL: counts of one minute pass the minute down and read the receivedMinute GIN index, not the table',
  async (t) => {
    const base = Date.parse('2026-03-15T08:00:00Z');
    const docs = Array.from({ length: 2000 }, (_, i) => ({
      ...deadMessage(i),
      receivedAt: new Date(base + i * 3000),
      receivedMinute: receivedMinuteOf(new Date(base + i * 3000)),
    }));
    const { store } = await storeWith(t, 'sbidxminute', docs);
    const from = new Date(base + 30 * 60_000);
    // The aggregation of StoreMetrics.received for one minute.
    const pipeline = [
      {
        $match: {
          receivedMinute: receivedMinuteOf(from),
          channelId: { $in: ['ehr-mllp'] },
          receivedAt: { $gte: from, $lt: new Date(from.getTime() + 60_000) },
        },
      },
      { $group: { _id: '$status', count: { $sum: 1 } } },
    ];
    const plan = await store.collection(STATES_COLLECTION).aggregate(pipeline).explain();
    t.regex(JSON.stringify(plan), /"Index Name":"sb_received_minute_/);
    t.deepEqual(
      await new StoreMetrics(store).received(['ehr-mllp'], new Date(from.getTime() - 30_000), new Date(from.getTime() + 60_000)),
      [{ channelId: 'ehr-mllp', status: 'dead', count: 30 }],
    );
  },
);

pgTest(
  'FerretDB on PostgreSQL: a search by MRN, the duplicate lookup by dedupeKey and a ' +
    "replay's read-back pass their value down and read their GIN indexes, not the table",
  async (t) => {
    const docs = Array.from({ length: 2000 }, (_, i) => ({
      ...deadMessage(i),
      searchKeys: [searchKey('mrn', `M${i}`)],
      ...(i % 100 === 0 ? { replayIds: [`r${i % 300}`] } : {}),
    }));
    const { messages, states } = await storeWith(t, 'sbidxsearch', docs);
    const search = await messages
      .find({ searchKeys: searchKey('mrn', 'M7') }, { projection: { raw: 0, canonical: 0 }, sort: { _id: -1 }, limit: 50 })
      .explain();
    t.true(search.filterPushdown, 'FerretDB passes the key down');
    t.regex(JSON.stringify(search), /"Index Name":"sb_search_keys_/);
    const duplicate = await messages.find({ dedupeKey: docs[7]!.dedupeKey }).explain();
    t.regex(JSON.stringify(duplicate), /"Index Name":"sb_dedupe_key_/);
    // The query of ReplayStore.findReplayed.
    const replayed = await states.find({ replayIds: 'r100' }, { projection: { _id: 1, deliveries: 1 }, sort: { _id: 1 } }).explain();
    t.true(replayed.filterPushdown, 'FerretDB passes the replay id down');
    t.regex(JSON.stringify(replayed), /"Index Name":"sb_replay_ids_/);
  },
);

test(
  'FerretDB keeps only the indexes that enforce uniqueness (its btrees serve none ' +
    'of its reads), and drops those an earlier version made; MongoDB gets every one',
  async (t) => {
    const dbName = uniqueName('sbidxset');
    const first = new Store({ url: sharedMongoUrl(), dbName });
    await first.start();
    const messages = first.collection<MessageRecord>('messages');
    const info = await messages.find({}, { limit: 1 }).explain();
    const ferretdb = Boolean(info.serverInfo?.ferretdbVersion);
    const names = async (store: Store, collection = 'messages') =>
      (await store.collection(collection).listIndexes().toArray()).map((i) => i.name as string).sort();
    const all = ['_id_', ...MESSAGE_INDEXES.map((i) => i.name)].sort();
    if (!ferretdb) {
      t.deepEqual(await names(first), all);
      t.deepEqual(await names(first, STATES_COLLECTION), ['_id_', ...STATE_INDEXES.map((i) => i.name)].sort());
      return first.close();
    }
    t.deepEqual(await names(first), ['_id_', 'dedupe']);
    t.deepEqual(await names(first, STATES_COLLECTION), ['_id_']);
    // As an earlier version left it: an index FerretDB does not get.
    await messages.createIndex({ errorCodes: 1, _id: -1 }, { name: 'error_codes' });
    await first.close();
    const store = new Store({ url: sharedMongoUrl(), dbName });
    await store.start();
    t.teardown(() => store.close());
    t.deepEqual(await names(store), ['_id_', 'dedupe']);
    // Uniqueness still holds.
    const m = deadMessage(1);
    t.true((await store.messages.insert(m)).inserted);
    t.false((await store.messages.insert({ ...m, _id: deadMessage(2)._id })).inserted);
  },
);
