/**
 * Support search at scale (issue 25, "Must show"): a store holding `count` messages (1,000,000; 50,000
 * with --quick) received over the last 30 days, then searches by a declared search field and by MRN
 * within a day, each `queries` times (50) through the engine's own code (MessageStore.list: the walk
 * by day of dated-search.ts and the read of the found messages' states), median and p95. The messages
 * are the corpus mix as the engine's intake makes them (store-floor.ts engineRecords), each given its
 * own id, time, control id, patient (100,000 patients: about 10 messages each), account (about 3
 * messages each) and item code (500 codes: about 65 messages a day each), put in the stored form by
 * the store's own code (storedForm, splitRecord) and bulk-inserted straight into the store's two
 * collections, 1,000 documents per insertMany: intake one at a time would take hours. Into its own
 * database, dropped afterwards. Beside them, the shapes the search could have had (measured in the
 * same run): keys without the day (each seeded message also holds `undated|mrn|…` and
 * `undated|item|…`, which nothing of the engine reads) with the window as a range on `receivedAt`,
 * and an `$in` over the window's dated keys (one query, which FerretDB 1.24 does not pass down).
 */
import { messageIdAt } from '../../engine/ids.ts';
import { MongoClient, ServerApiVersion, type Collection } from 'mongodb';
import type { BenchContext } from '../lib/context.ts';
import { localPg, runPsql } from '../lib/pg-admin.ts';
import { round } from '../lib/stats.ts';
import { STATES_COLLECTION, Store } from '../../engine/store/store.ts';
import type { MessageRecord } from '../../engine/store/message-record.ts';
import { splitRecord, type MessageContent, type MessageState } from '../../engine/store/message-state.ts';
import { storedForm } from '../../engine/store/messages.store.ts';
import { RecordSealer } from '../../engine/store/record-sealer.ts';
import { datedKey, dayOf, fieldKey } from '../../engine/store/search-keys.ts';
import { daysBack } from '../../engine/store/search-window.ts';
import { engineRecords } from './store-floor.ts';

export interface SearchScaleRow {
  query: string;
  /** `engine`: MessageStore.list now; `undated` / `$in`: a shape it could have had (raw driver call). */
  shape: 'engine' | 'undated' | '$in';
  runs: number;
  medianMs: number;
  p95Ms: number;
  /** Messages found per query, on average (each query looks for a value that a seeded message has). */
  meanFound: number;
}

export interface SearchScaleResult {
  storedMessages: number;
  days: number;
  /** Seconds the bulk insert took, and the size PostgreSQL reports for the database's tables and indexes. */
  seedSeconds: number;
  seedPerSecond: number;
  sizeMiB: number | undefined;
  rows: SearchScaleRow[];
}

const DAY = 86_400_000;
const PATIENTS = 100_000;
const ITEM_CODES = 500;
const BATCH = 1000;
/** The one `$in` query is stopped after this long (maxTimeMS): it reads the whole collection, minutes at 1,000,000. */
const IN_BOUND_MS = 120_000;

/** What message `i` of `count` holds: patient, account and item code spread over the whole range (multiplicative hashing). */
const valuesOf = (i: number) => ({
  mrn: `MRN${(i * 7919) % PATIENTS}`,
  account: `ACC${(i * 104_729) % 333_333}`,
  item: `I${(i * 31) % ITEM_CODES}`,
});

export async function runSearchScale(
  ctx: BenchContext,
  o: { count?: number; days?: number; queries?: number } = {},
): Promise<SearchScaleResult> {
  const count = o.count ?? (ctx.quick ? 50_000 : 1_000_000);
  const days = o.days ?? 30;
  const queries = o.queries ?? 50;
  const db = ctx.name('search');
  const store = new Store({ url: ctx.mongoUrl, dbName: db });
  await store.start();
  const client = new MongoClient(ctx.mongoUrl, { serverApi: { version: ServerApiVersion.v1, strict: false } });
  await client.connect();
  try {
    const messages = client.db(db).collection<MessageContent>('messages');
    const states = client.db(db).collection<MessageState>(STATES_COLLECTION);
    const start = Date.now() - days * DAY;
    const timeOf = (i: number) => start + Math.floor((i * days * DAY) / count);
    const t0 = performance.now();
    await seed({ messages, states, count, timeOf });
    const seedSeconds = (performance.now() - t0) / 1000;
    const sizeMiB = await analyze(db);
    const rows: SearchScaleRow[] = [];
    // Targets: messages spread over the range, never in its first or last day (a day's window around them is full).
    const perDay = count / days;
    const targets = Array.from({ length: queries }, (_, k) => Math.floor(perDay + ((k + 0.5) / queries) * (count - 2 * perDay)));
    const around = (i: number) => ({ from: new Date(timeOf(i) - DAY / 2), to: new Date(timeOf(i) + DAY / 2) });
    const measure = async (query: string, shape: SearchScaleRow['shape'], runs: number, one: (i: number) => Promise<number>) => {
      const ms: number[] = [];
      let found = 0;
      for (const i of targets.slice(0, runs)) {
        const t = performance.now();
        found += await one(i);
        ms.push(performance.now() - t);
      }
      ms.sort((a, b) => a - b);
      const at = (p: number) => round(ms[Math.min(ms.length - 1, Math.ceil(p * ms.length) - 1)]!, 1);
      rows.push({ query, shape, runs, medianMs: at(0.5), p95Ms: at(0.95), meanFound: round(found / runs, 1) });
      console.log(`   ${query} (${shape}): median ${at(0.5)} ms, p95 ${at(0.95)} ms`);
    };
    const list = async (q: Parameters<Store['messages']['list']>[0]) => (await store.messages.list(q)).length;
    const channelId = 'ehr-mllp';
    await measure('by account (a declared field), within a day', 'engine', queries, (i) =>
      list({ channelId, field: { name: 'account', value: valuesOf(i).account }, ...around(i), limit: 50 }),
    );
    await measure('by MRN, within a day', 'engine', queries, (i) => list({ mrn: valuesOf(i).mrn, ...around(i), limit: 50 }));
    await measure('by item code (about 65 a day), within a day', 'engine', queries, (i) =>
      list({ channelId, field: { name: 'item', value: valuesOf(i).item }, ...around(i), limit: 50 }),
    );
    const week = (i: number) => ({ from: new Date(timeOf(i) - 7 * DAY + DAY / 2), to: new Date(timeOf(i) + DAY / 2) });
    await measure('by MRN, 7 days (the default window)', 'engine', queries, (i) => list({ mrn: valuesOf(i).mrn, ...week(i), limit: 50 }));
    const month = (i: number) => ({ from: new Date(timeOf(i) - 31 * DAY), to: new Date(timeOf(i) + DAY / 2) });
    await measure('by account, 31 days (the widest window)', 'engine', queries, (i) =>
      list({ channelId, field: { name: 'account', value: valuesOf(i).account }, ...month(i), limit: 50 }),
    );
    // The shapes it could have had, fewer runs: a key without the day, the window a range FerretDB applies in its own code.
    const undated = (key: string, i: number) =>
      messages
        .find(
          { channelId, searchKeys: key, receivedAt: { $gte: around(i).from, $lt: around(i).to } },
          { projection: { raw: 0, canonical: 0 }, sort: { _id: -1 }, limit: 50 },
        )
        .toArray()
        .then((r) => r.length);
    await measure('by MRN, within a day', 'undated', 10, (i) => undated(`undated|mrn|${valuesOf(i).mrn}`, i));
    await measure('by item code (about 65 a day), within a day', 'undated', 10, (i) => undated(`undated|item|${valuesOf(i).item}`, i));
    // One query for the window's days: not passed down, a read of the whole collection. Once, stopped after IN_BOUND_MS.
    await measure('by item code (about 65 a day), within a day', '$in', 1, (i) => {
      const keys = daysBack(around(i).to, around(i).from).map((d) => datedKey(fieldKey('item', valuesOf(i).item), d));
      const options = { projection: { raw: 0, canonical: 0 }, sort: { _id: -1 }, limit: 50, maxTimeMS: IN_BOUND_MS } as const;
      return messages
        .find({ channelId, searchKeys: { $in: keys } }, options)
        .toArray()
        .then(
          (r) => r.length,
          (err: Error) => (console.log(`   $in stopped: ${err.message}`), -1),
        );
    });
    return {
      storedMessages: count,
      days,
      seedSeconds: round(seedSeconds, 0),
      seedPerSecond: Math.round(count / seedSeconds),
      sizeMiB,
      rows,
    };
  } finally {
    await client.close();
    await store.close();
    await ctx.drop(db);
  }
}

/**
 * Inserts `count` messages, oldest first, BATCH at a time into each collection (the two insertMany of
 * a batch side by side, two batches in flight), each in the stored form the engine writes.
 */
async function seed(o: {
  messages: Collection<MessageContent>;
  states: Collection<MessageState>;
  count: number;
  timeOf: (i: number) => number;
}): Promise<void> {
  const templates = (await engineRecords(1500, 25)).filter((r) => r.raw.length < 64 * 1024);
  const sealer = new RecordSealer();
  const make = (i: number): { content: MessageContent; state: MessageState } => {
    const r = templates[i % templates.length]!;
    const receivedAt = new Date(o.timeOf(i));
    const _id = messageIdAt(receivedAt.getTime());
    const v = valuesOf(i);
    const status = r.status !== 'routed' ? r.status : i % 100 === 0 ? 'dead' : 'delivered';
    const deliveries = Object.fromEntries(
      Object.entries(r.deliveries).map(([d, x]) => [d, { ...x, status: status === 'dead' ? ('dead' as const) : ('delivered' as const) }]),
    );
    const record: MessageRecord = {
      ...r,
      _id,
      dedupeKey: `search|${_id}`,
      receivedAt,
      updatedAt: receivedAt,
      status,
      deliveries,
      summary: { ...r.summary!, mrn: v.mrn, controlId: `B${i.toString(36)}` },
      searchFieldValues: { account: [v.account], item: [v.item] },
    };
    const stored = storedForm(sealer, record);
    stored.searchKeys = [...(stored.searchKeys ?? []), `undated|mrn|${v.mrn}`, `undated|item|${v.item}`];
    return splitRecord(stored);
  };
  const inFlight = new Set<Promise<unknown>>();
  const started = performance.now();
  for (let i = 0; i < o.count; i += BATCH) {
    const docs = Array.from({ length: Math.min(BATCH, o.count - i) }, (_, k) => make(i + k));
    const p = Promise.all([
      o.messages.insertMany(
        docs.map((d) => d.content),
        { ordered: false },
      ),
      o.states.insertMany(
        docs.map((d) => d.state),
        { ordered: false },
      ),
    ]);
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    if (inFlight.size >= 2) await Promise.race(inFlight);
    if ((i / BATCH) % 50 === 0 && i > 0) {
      const rate = Math.round(i / ((performance.now() - started) / 1000));
      console.log(`   seeded ${i} of ${o.count} (${rate}/s, ${dayOf(new Date(o.timeOf(i)))})`);
    }
  }
  await Promise.all(inFlight);
}

/**
 * Has PostgreSQL gather statistics on the database's tables (its planner then knows the GIN indexes
 * are selective; autovacuum would do it too, some time later) and returns their size with indexes, MiB.
 * Undefined when the store is not FerretDB on the local PostgreSQL (MONGODB_URL elsewhere).
 */
async function analyze(db: string): Promise<number | undefined> {
  if (!process.env.SWITCHBOARD_PG_URL) return undefined;
  const pg = localPg();
  const tables = `SELECT format('%I.%I', schemaname, tablename) AS t FROM pg_tables WHERE schemaname = '${db.toLowerCase()}'`;
  try {
    await runPsql(pg, 'ferretdb', [`DO $$ DECLARE r record; BEGIN FOR r IN ${tables} LOOP EXECUTE 'ANALYZE ' || r.t; END LOOP; END $$`]);
    const size = await runPsql(pg, 'ferretdb', [`SELECT coalesce(sum(pg_total_relation_size(t::regclass)), 0) FROM (${tables}) x`]);
    return Math.round(Number(size.trim()) / 2 ** 20);
  } catch (err) {
    console.log(`   (no statistics gathered: ${(err as Error).message.split('\n')[0]})`);
    return undefined;
  }
}
