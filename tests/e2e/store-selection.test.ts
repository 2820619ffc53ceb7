import test from 'ava';
import { StoreMetrics } from '../../engine/metrics/store-metrics.ts';
import { Store } from '../../engine/store/store.ts';
import { type MessageQuery } from '../../engine/store/message-list.ts';
import type { DeliveryRecord, MessageRecord } from '../../engine/store/message-record.ts';
import type { DeliveryStatus } from '../../engine/store/states.ts';
import type { ErrorCode } from '../../engine/errors.ts';
import { MongoClient, ServerApiVersion } from 'mongodb';
import { deadMessage } from '../support/seed.ts';
import { sharedMongoUrl } from '../support/services.ts';
import { uniqueName } from '../../scripts/lib/unique-name.ts';

test(
  'a replay selection by message ids (one lookup per id) returns what the ' +
    'same filter selects without ids, limited to those ids, in the same order',
  async (t) => {
    const store = new Store({ url: sharedMongoUrl(), dbName: uniqueName('sbselect') });
    await store.start();
    t.teardown(() => store.close());
    const base = Date.parse('2026-03-15T08:00:00Z');
    const messages = Array.from({ length: 8 }, (_, i) => {
      const m = deadMessage(i);
      const receivedAt = new Date(base + i * 60_000);
      const erp = m.deliveries.erp!;
      // 5 delivered; 4 partially delivered (so a selection merges more than one message status).
      const variant: Partial<MessageRecord> =
        i === 5
          ? { status: 'delivered', deliveries: { erp: { ...erp, status: 'delivered' } } }
          : i === 4
            ? { status: 'partially-delivered', deliveries: { erp, billing: { ...erp, destinationId: 'billing', status: 'delivered' } } }
            : {};
      return { ...m, receivedAt, updatedAt: receivedAt, channelId: i % 2 === 0 ? 'ehr-mllp' : 'lab-mllp', ...variant };
    });
    for (const m of messages) await store.messages.insert(m);
    const ids = [messages[6]!._id, messages[0]!._id, messages[5]!._id, messages[3]!._id, messages[4]!._id, 'not-stored'];
    const filters = [
      { status: 'dead' as const, order: 1 as const, limit: 100 },
      { status: 'dead' as const, order: -1 as const, limit: 2 },
      { status: 'dead' as const, order: 1 as const, limit: 3 },
      { status: 'dead' as const, order: 1 as const, limit: 100, channelId: 'ehr-mllp' },
      { status: 'dead' as const, order: 1 as const, limit: 100, from: new Date(base + 3 * 60_000), to: new Date(base + 5 * 60_000) },
      { status: 'delivered' as const, order: 1 as const, limit: 100 },
    ];
    for (const f of filters) {
      const byIds = (await store.messages.findWithDeliveriesIn({ ...f, ids })).map((m) => m._id);
      const byFilter = (await store.messages.findWithDeliveriesIn({ ...f, limit: 100 }))
        .map((m) => m._id)
        .filter((id) => ids.includes(id))
        .slice(0, f.limit);
      t.deepEqual(byIds, byFilter, JSON.stringify(f));
    }
    t.deepEqual(
      (await store.messages.findWithDeliveriesIn({ status: 'dead', order: 1, limit: 100, ids })).map((m) => m._id),
      [0, 3, 4, 6].map((i) => messages[i]!._id),
    );
    t.deepEqual(
      (await store.messages.findWithDeliveriesIn({ status: 'dead', order: -1, limit: 3 })).map((m) => m._id),
      [7, 6, 4].map((i) => messages[i]!._id),
      'dead and partially delivered, merged in id order, then limited',
    );
    t.deepEqual(
      (await store.messages.findWithDeliveriesIn({ status: 'delivered', order: 1, limit: 100 })).map((m) => m._id),
      [4, 5].map((i) => messages[i]!._id),
    );
    const first = (await store.messages.findWithDeliveriesIn({ status: 'dead', order: 1, limit: 100, ids }))[0];
    t.false(first !== undefined && ('raw' in first || 'canonical' in first), 'neither raw content nor canonical events are read');
  },
);

test('failing deliveries are counted per channel destination, in each status holding them (routed, dead, partial)', async (t) => {
  const store = new Store({ url: sharedMongoUrl(), dbName: uniqueName('sbfailing') });
  await store.start();
  t.teardown(() => store.close());
  const delivery = (m: MessageRecord, destinationId: string, status: DeliveryStatus, code?: ErrorCode): DeliveryRecord => {
    const { lastError: _seeded, ...d } = m.deliveries.erp!;
    return { ...d, destinationId, status, ...(code ? { lastError: { code, detail: 'x' } } : {}) };
  };
  const seed = async (
    i: number,
    status: MessageRecord['status'],
    deliveries: (m: MessageRecord) => DeliveryRecord[],
    channelId = 'ehr-mllp',
  ) => {
    const m = { ...deadMessage(i), channelId, dedupeKey: `${channelId}|${i}` };
    await store.messages.insert({ ...m, status, deliveries: Object.fromEntries(deliveries(m).map((d) => [d.destinationId, d])) });
  };
  await seed(0, 'dead', (m) => [delivery(m, 'erp', 'dead', 'PEER_UNAVAILABLE')]);
  await seed(1, 'partially-delivered', (m) => [delivery(m, 'erp', 'dead', 'PEER_UNAVAILABLE'), delivery(m, 'billing', 'delivered')]);
  await seed(2, 'routed', (m) => [delivery(m, 'erp', 'dead', 'PEER_REJECTED'), delivery(m, 'billing', 'pending')]);
  await seed(3, 'routed', (m) => [delivery(m, 'erp', 'retrying', 'PEER_UNAVAILABLE'), delivery(m, 'billing', 'retrying')]);
  await seed(4, 'delivered', (m) => [delivery(m, 'erp', 'delivered'), delivery(m, 'billing', 'delivered')]);
  // Another channel's destination of the same id is its own.
  await seed(5, 'dead', (m) => [delivery(m, 'erp', 'dead', 'PEER_REJECTED')], 'lab-adt');
  const targets = ['erp', 'billing'].map((destinationId) => ({ channelId: 'ehr-mllp', destinationId }));
  const ehr = { channelId: 'ehr-mllp' };
  t.deepEqual(await new StoreMetrics(store).failing(targets), [
    { ...ehr, destinationId: 'billing', status: 'retrying', errorCode: 'UNKNOWN', count: 1 },
    { ...ehr, destinationId: 'erp', status: 'dead', errorCode: 'PEER_REJECTED', count: 1 },
    { ...ehr, destinationId: 'erp', status: 'dead', errorCode: 'PEER_UNAVAILABLE', count: 2 },
    { ...ehr, destinationId: 'erp', status: 'retrying', errorCode: 'PEER_UNAVAILABLE', count: 1 },
  ]);
  t.deepEqual(await new StoreMetrics(store).failing([{ channelId: 'lab-adt', destinationId: 'erp' }]), [
    { channelId: 'lab-adt', destinationId: 'erp', status: 'dead', errorCode: 'PEER_REJECTED', count: 1 },
  ]);
});

test(
  'the message list pages newest first across the minutes it ' + 'walks and the older rest, with filters, cursor and time window',
  async (t) => {
    const store = new Store({ url: sharedMongoUrl(), dbName: uniqueName('sblist') });
    await store.start();
    t.teardown(() => store.close());
    const now = Date.now();
    // 40 messages: 24 in the last half hour, 16 from 70 minutes to 3 hours ago (past the walk).
    const ages = [
      ...Array.from({ length: 24 }, (_, i) => i * 75_000),
      ...Array.from({ length: 16 }, (_, i) => 70 * 60_000 + i * 7 * 60_000),
    ];
    const stored: MessageRecord[] = [];
    for (const [i, age] of ages.entries()) {
      const m = deadMessage(i);
      const receivedAt = new Date(now - age);
      const record = {
        ...m,
        _id: uuid7At(receivedAt.getTime(), i),
        receivedAt,
        updatedAt: receivedAt,
        status: i % 3 === 0 ? ('dead' as const) : ('delivered' as const),
      };
      await store.messages.insert(record);
      stored.push(record);
    }
    const pages = (q: Omit<MessageQuery, 'limit' | 'before'>) => allPages(store, q, 7);
    t.deepEqual(await pages({}), newestFirst(stored), 'every message once, newest first');
    t.deepEqual(await pages({ status: 'dead' }), newestFirst(stored.filter((m) => m.status === 'dead')));
    const from = new Date(now - 100 * 60_000);
    const to = new Date(now - 10 * 60_000);
    t.deepEqual(
      await pages({ from, to }),
      newestFirst(stored.filter((m) => m.receivedAt >= from && m.receivedAt < to)),
      'a window reaching past the walk',
    );
    t.deepEqual(
      (await store.messages.list({ limit: 3 })).map((m) => m._id),
      newestFirst(stored).slice(0, 3),
    );
  },
);

/** A UUIDv7 of time `ms` (ids of the engine are made at the time they are received; `newMessageId` never goes back in time). */
const newestFirst = (ms: MessageRecord[]) => [...ms].sort((a, b) => (a._id < b._id ? 1 : -1)).map((m) => m._id);

/** The ids of every page of `q`, `size` per page, each page after the last one's cursor. */
async function allPages(store: Store, q: Omit<MessageQuery, 'limit' | 'before'>, size: number): Promise<string[]> {
  const ids: string[] = [];
  let before: string | undefined;
  for (;;) {
    const page = await store.messages.list({ ...q, limit: size, ...(before ? { before } : {}) });
    ids.push(...page.map((m) => m._id));
    if (page.length < size) return ids;
    before = page.at(-1)!._id;
  }
}

function uuid7At(ms: number, n: number): string {
  const hex = ms.toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${n.toString(16).padStart(3, '0')}-8000-000000000000`;
}

test(
  'a search by MRN or control id reads by its key: newest first, paged, past the ' +
    'walk, both at once; messages of an earlier version get their keys at the next start',
  async (t) => {
    const dbName = uniqueName('sbsearch');
    const now = Date.now();
    const summarised = (i: number, age: number): MessageRecord => {
      const receivedAt = new Date(now - age);
      return {
        ...deadMessage(i),
        _id: uuid7At(receivedAt.getTime(), i),
        receivedAt,
        updatedAt: receivedAt,
        summary: {
          messageType: 'ADT',
          triggerEvent: 'A08',
          controlId: `C${i}`,
          sendingApplication: 'EPIC',
          sendingFacility: 'GENHOSP',
          mrn: `M${i % 3}`,
        },
      };
    };
    // Two messages stored by an earlier version (no searchKeys), before the store first starts.
    const legacy = [summarised(100, 5 * 3_600_000), summarised(101, 60_000)];
    const raw = new MongoClient(sharedMongoUrl(), { serverApi: { version: ServerApiVersion.v1, strict: false } });
    await raw.connect();
    t.teardown(() => raw.close());
    await raw.db(dbName).collection<MessageRecord>('messages').insertMany(legacy);
    const store = new Store({ url: sharedMongoUrl(), dbName });
    await store.start();
    t.teardown(() => store.close());
    // 30 messages over three hours: most past the list's walk of the last hour.
    const stored = Array.from({ length: 30 }, (_, i) => ({
      ...summarised(i, i * 6 * 60_000),
      ...(i % 2 === 0 ? { status: 'delivered' as const } : {}),
    }));
    for (const m of stored) await store.messages.insert(m);
    const all = [...stored, ...legacy];
    const pages = (q: Omit<MessageQuery, 'limit' | 'before'>) => allPages(store, q, 4);
    t.deepEqual(await pages({ mrn: 'M1' }), newestFirst(all.filter((m) => m.summary!.mrn === 'M1')), 'by MRN, every page');
    t.deepEqual(await pages({ controlId: 'C100' }), [legacy[0]!._id], 'a message of an earlier version, five hours old');
    t.deepEqual(await pages({ mrn: 'M1', controlId: 'C7' }), [stored[7]!._id], 'both');
    t.deepEqual(await pages({ mrn: 'M2', controlId: 'C7' }), [], 'both, not of one message');
    t.deepEqual(
      await pages({ mrn: 'M0', status: 'delivered' }),
      newestFirst(stored.filter((m) => m.summary!.mrn === 'M0' && m.status === 'delivered')),
      'with other filters',
    );
    const keys = await raw.db(dbName).collection<MessageRecord>('messages').findOne({ _id: legacy[1]!._id });
    t.deepEqual(keys?.searchKeys, [`mrn|M2|${legacy[1]!.receivedAt.toISOString().slice(0, 10)}`, 'control|C101'], 'the MRN by day');
  },
);
