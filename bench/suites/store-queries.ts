/**
 * The store's reads at scale: what the console, the metrics endpoint and an ordered destination's
 * workers ask of a store that already holds `count` messages (50,000 by default, 5,000 with
 * --quick). The messages are the mix through the engine's intake (as in the store floor, without
 * the large ORU), stored by Store itself (so every index-only field is there), spread over the
 * last two hours; 97% of the routed ones delivered, 1% dead and 2% still in flight, ordered by the
 * patient's MRN. Each query runs through the engine's own code, `repeat` times; the table reports
 * the median. Beside each query the engine changed on 12-02, the same question in the shape it
 * had before (a raw driver call) is timed too, once, so before and after come from the same run. Last,
 * a replay of 50 dead messages and its read-back (which changes those messages).
 */
import { MongoClient, ServerApiVersion, type Collection } from 'mongodb';
import type { BenchContext } from '../lib/context.ts';
import { percentiles, round } from '../lib/stats.ts';
import { StoreMetrics } from '../../engine/metrics/store-metrics.ts';
import { STATES_COLLECTION, Store } from '../../engine/store/store.ts';
import type { MessageRecord } from '../../engine/store/message-record.ts';
import { newMessageId } from '../../engine/ids.ts';
import { listNewestFirst } from '../../engine/store/message-list.ts';
import { engineRecords } from './store-floor.ts';

export interface StoreQueryRow {
  query: string;
  /** `engine`: the engine's code now; `before`: the shape it had until 12-02 (raw driver call). */
  shape: 'engine' | 'before';
  storedMessages: number;
  medianMs: number;
  /** What the answer held (documents or counted messages): both shapes must agree. */
  answered: number;
}

const MINUTE = 60_000;
const IN_FLIGHT = 64;

export async function runStoreQueries(ctx: BenchContext, o: { count?: number; repeat?: number } = {}): Promise<StoreQueryRow[]> {
  const count = o.count ?? (ctx.quick ? 5000 : 50_000);
  const repeat = o.repeat ?? (ctx.quick ? 1 : 3);
  const db = ctx.name('queries');
  const store = new Store({ url: ctx.mongoUrl, dbName: db });
  await store.start();
  const client = new MongoClient(ctx.mongoUrl, { serverApi: { version: ServerApiVersion.v1, strict: false } });
  await client.connect();
  try {
    const now = Date.now();
    const probe = await seed(store, { count, now });
    const messages = client.db(db).collection<MessageRecord>('messages');
    // The old shapes of the queries on a message's state read the states now (message-state.ts).
    const states = client.db(db).collection<MessageRecord>(STATES_COLLECTION);
    const metrics = new StoreMetrics(store);
    const rows: StoreQueryRow[] = [];
    const time = async (query: string, shape: StoreQueryRow['shape'], run: () => Promise<number>) => {
      const ms: number[] = [];
      let answered = 0;
      // The old shapes read the whole collection: once is enough to show it.
      for (let i = 0; i < (shape === 'before' ? 1 : repeat); i++) {
        const t = performance.now();
        answered = await run();
        ms.push(performance.now() - t);
      }
      rows.push({ query, shape, storedMessages: count, medianMs: round(percentiles(ms).p50, 1), answered });
    };
    const sum = (rs: { count: number }[]) => rs.reduce((n, r) => n + r.count, 0);
    // The dashboard makes 15 such counts (one per minute) each time it refreshes, every 5 s.
    const minute = Math.floor(now / MINUTE) * MINUTE - 5 * MINUTE;
    const dashboard = "dashboard: one minute's messages by status (15 per refresh)";
    await time(dashboard, 'engine', async () => sum(await metrics.received(['ehr-mllp'], new Date(minute), new Date(minute + MINUTE))));
    await time(dashboard, 'before', async () => sum(await receivedBefore(states, new Date(minute), new Date(minute + MINUTE))));
    const failing = 'metrics and dashboard: failing deliveries by code';
    await time(failing, 'engine', async () => sum(await metrics.failing([{ channelId: 'ehr-mllp', destinationId: 'erp' }])));
    await time(failing, 'before', async () => sum(await failingBefore(states)));
    const dead = 'dead letters: list and replay selection';
    await time(
      dead,
      'engine',
      async () => (await store.messages.findWithDeliveriesIn({ status: 'dead', order: -1, limit: 10_000 })).length,
    );
    await time(
      dead,
      'before',
      async () =>
        (
          await states
            .find(
              { status: { $in: ['dead', 'partially-delivered'] } },
              { projection: { raw: 0, canonical: 0 }, sort: { _id: -1 }, limit: 10_000 },
            )
            .toArray()
        ).length,
    );
    const head = 'ordered destination: head check before each delivery';
    await time(head, 'engine', async () =>
      (await store.deliveryState.findOrderBlocker({ id: probe.lastId, destinationId: 'erp', orderKey: probe.orderKey, deadBlocks: true }))
        ? 1
        : 0,
    );
    await time(head, 'before', async () =>
      (await states.findOne(
        {
          _id: { $lt: probe.lastId },
          'deliveries.erp.orderKey': probe.orderKey,
          'deliveries.erp.status': { $in: ['pending', 'retrying', 'dead'] },
        } as never,
        { projection: { _id: 1 }, sort: { _id: 1 } },
      ))
        ? 1
        : 0,
    );
    await time('message by id', 'engine', async () => ((await store.messages.get(probe.lastId)) ? 1 : 0));
    // Before: by the summary's nested fields, through the list's walk of the last hour and then one query over the rest.
    const byMrn = 'console: search by MRN, 50 newest';
    await time(byMrn, 'engine', async () => (await store.messages.list({ mrn: probe.mrn, limit: 50 })).length);
    await time(
      byMrn,
      'before',
      async () => (await listNewestFirst(messages, { filter: { 'summary.mrn': probe.mrn }, limit: 50, newest: new Date() })).length,
    );
    const byControlId = 'console: search by control id (two hours old)';
    await time(byControlId, 'engine', async () => (await store.messages.list({ controlId: probe.controlId, limit: 50 })).length);
    await time(
      byControlId,
      'before',
      async () =>
        (await listNewestFirst(messages, { filter: { 'summary.controlId': probe.controlId }, limit: 50, newest: new Date() })).length,
    );
    await time('console: messages, 50 newest', 'engine', async () => (await store.messages.list({ limit: 50 })).length);
    await time(
      'console: dead messages, 50 newest',
      'engine',
      async () => (await store.messages.list({ status: 'dead', limit: 50 })).length,
    );
    // Last, as it changes what it replays: 50 dead messages set back to pending by one replay, then its read-back.
    const replayId = `bench-${newMessageId()}`;
    const replayed = await store.messages.findWithDeliveriesIn({ status: 'dead', order: 1, limit: 50 });
    for (const m of replayed)
      await store.replays.resetDeliveries(m, { from: 'dead', destinationIds: Object.keys(m.deliveries), events: [], replayId });
    const readBack = 'replay: read-back of what it replayed (50 messages)';
    await time(readBack, 'engine', async () => new Set((await store.replays.findReplayed(replayId)).map((d) => d.messageId)).size);
    const destinations = [...new Set(replayed.flatMap((m) => Object.keys(m.deliveries)))];
    await time(
      readBack,
      'before',
      async () =>
        (
          await states
            .find({ $or: destinations.map((d) => ({ [`deliveries.${d}.replayId`]: replayId })) } as never, {
              projection: { _id: 1, deliveries: 1 },
              sort: { _id: 1 },
            })
            .toArray()
        ).length,
    );
    return rows;
  } finally {
    await client.close();
    await store.close();
    await ctx.drop(db);
  }
}

/**
 * Stores `count` messages received over the last two hours before `now`, `IN_FLIGHT` at a time.
 * Returns what the queries look for: the newest message, its MRN (the order key), the control id
 * of the oldest (its template's, so a few messages share it).
 */
async function seed(
  store: Store,
  o: { count: number; now: number },
): Promise<{ lastId: string; mrn: string; orderKey: string; controlId: string }> {
  const records = (await engineRecords(1500, 9)).filter((r) => r.raw.length < 64 * 1024);
  const span = 2 * 60 * MINUTE;
  let last: MessageRecord | undefined;
  const make = (i: number): MessageRecord => {
    const r = records[i % records.length]!;
    const receivedAt = new Date(o.now - span + Math.floor((i * span) / o.count));
    const id = newMessageId(receivedAt.getTime());
    const mrn = r.summary?.mrn || 'none';
    const fate = i % 100;
    const status = r.status !== 'routed' ? r.status : fate === 0 ? 'dead' : fate < 3 ? 'routed' : 'delivered';
    const deliveries = Object.fromEntries(
      Object.entries(r.deliveries).map(([d, v]) => [
        d,
        {
          ...v,
          orderKey: mrn,
          status: status === 'routed' ? ('pending' as const) : status === 'dead' ? ('dead' as const) : ('delivered' as const),
          ...(status === 'dead' ? { lastError: { code: 'PEER_REJECTED' as const, detail: 'refused' } } : {}),
        },
      ]),
    );
    return { ...r, _id: id, dedupeKey: `queries|${id}`, receivedAt, updatedAt: receivedAt, status, deliveries };
  };
  for (let i = 0; i < o.count; i += IN_FLIGHT) {
    const batch = Array.from({ length: Math.min(IN_FLIGHT, o.count - i) }, (_, k) => make(i + k));
    await Promise.all(batch.map((m) => store.messages.insert(m)));
    for (const m of batch) if (m.status === 'routed') last = m;
  }
  if (!last) throw new Error('no routed message seeded');
  const mrn = last.summary?.mrn || 'none';
  return { lastId: last._id, mrn, orderKey: mrn, controlId: records[0]!.summary?.controlId ?? 'none' };
}

/** StoreMetrics.received as it was until 12-02: one aggregation, channel `$in` and a receivedAt range. */
function receivedBefore(states: Collection<MessageRecord>, from: Date, to: Date): Promise<{ count: number }[]> {
  return states
    .aggregate<{ count: number }>([
      { $match: { channelId: { $in: ['ehr-mllp'] }, receivedAt: { $gte: from, $lt: to } } },
      { $group: { _id: { channelId: '$channelId', status: '$status' }, count: { $sum: 1 } } },
    ])
    .toArray();
}

/** StoreMetrics.failing as it was until 12-02: one aggregation, message status `$in`. */
function failingBefore(states: Collection<MessageRecord>): Promise<{ count: number }[]> {
  return states
    .aggregate<{ count: number }>([
      { $match: { status: { $in: ['routed', 'dead', 'partially-delivered'] }, 'deliveries.erp.status': { $in: ['dead', 'retrying'] } } },
      { $group: { _id: { status: '$deliveries.erp.status', code: '$deliveries.erp.lastError.code' }, count: { $sum: 1 } } },
    ])
    .toArray();
}
