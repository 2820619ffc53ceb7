import test from 'ava';
import type { MessageRecord } from '../../engine/store/message-record.ts';
import { MongoStore } from '../../engine/store/mongo-store.ts';
import { deadMessage } from '../support/seed.ts';
import { pgQuery, sharedMongoUrl, uniqueName } from '../support/services.ts';

test('FerretDB on PostgreSQL: a lookup by _id reads the GIN index of scripts/ferretdb-indexes.sql, which has no pending list (fastupdate off)', async (t) => {
  const dbName = uniqueName('sbidx');
  const store = new MongoStore({ url: sharedMongoUrl(), dbName });
  await store.start();
  t.teardown(() => store.close());
  const messages = store.collection<MessageRecord>('messages');
  const docs = Array.from({ length: 2000 }, (_, i) => deadMessage(i));
  for (let i = 0; i < docs.length; i += 500) await messages.insertMany(docs.slice(i, i + 500));
  const plan = await messages.find({ _id: docs[1234]!._id }).explain();
  if (!plan.serverInfo?.ferretdbVersion || (process.env.SWITCHBOARD_FERRETDB_BACKEND ?? 'postgresql') !== 'postgresql') {
    t.log('not FerretDB on PostgreSQL: nothing of scripts/ferretdb-indexes.sql to check');
    return t.pass();
  }
  t.regex(JSON.stringify(plan), /"Index Name":"sb_id_gin_/);
  // With fast update on, new entries wait in a pending list that every lookup reads in full until a vacuum.
  const [off, all] = (
    await pgQuery('ferretdb', `SELECT count(*) FILTER (WHERE 'fastupdate=off' = ANY (c.reloptions)), count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '${dbName}' AND c.relname LIKE 'sb_id_gin_%'`)
  )
    .split('|')
    .map(Number);
  t.true(all! >= 1, 'a GIN index on _id in every table');
  t.is(off, all, 'every one without fast update');
});
