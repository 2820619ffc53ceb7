/**
 * Floor 4: the MongoDB-wire server's own capacity for the engine's writes. The documents are the
 * engine's own: the mix goes through the engine's intake (transforms included) with a store that
 * only keeps what it is given, so each record is byte for byte what `store.messages.insert` would send.
 * Then a bare driver loop, with no engine around it, inserts them (fresh `_id` and `dedupeKey`
 * each time) into a fresh database with the engine's indexes and write concern (w: majority,
 * j: true). Each message is written as the engine writes it since 12-06: its content into `messages`
 * and its state into `message_states`, side by side (message-state.ts); the counts are messages, and
 * "insertOne" is one message (a document into each collection), "insertMany of 16" 16 messages:
 * - insertOne with 1, 16 and 64 in flight: the engine's pattern (one insert per message),
 * - insertMany of 16 and of 64 documents, one batch in flight: the store capacity
 *   (what the server could take if writes were grouped),
 * - insertOne at 500 per second, open loop (each insert sent when due, its latency counted from
 *   then): the store's own latency at the rate of the end-to-end target, the floor under the
 *   engine's ACK p99 there (the engine answers AA only after such an insert).
 */
import { DeliveryQueues } from '../../engine/queue/delivery-queues.ts';
import { MongoClient, ServerApiVersion } from 'mongodb';
import { Hl7Intake } from '../../engine/intake/hl7-intake.ts';
import { StoreAndQueue } from '../../engine/intake/store-and-queue.ts';
import { silentLogger } from '../../engine/log.ts';
import { newMessageId } from '../../engine/ids.ts';
import { interpolateEnv } from '../../engine/config/interpolate.ts';
import { STATES_COLLECTION, Store } from '../../engine/store/store.ts';
import { splitRecord, type MessageContent, type MessageState } from '../../engine/store/message-state.ts';
import type { MessageRecord } from '../../engine/store/message-record.ts';
import { transforms } from '../../transforms/index.ts';
import ehrMllp from '../../channels/ehr-mllp.channel.ts';
import { MessageMix } from '../lib/mix.ts';
import { round } from '../lib/stats.ts';

export interface StoreFloorRow {
  pattern: string;
  inFlight: number;
  batch: number;
  docsPerSecond: number;
  /** Median time of one call (insertOne or insertMany), ms; open loop: from when it was due. */
  callP50Ms: number;
  /** Open loop only: the offered rate, and p99 of the call from when it was due, ms. */
  ratePerSecond?: number;
  callP99Ms?: number;
}

/** The engine's message records for `count` messages of the mix, made by its own intake. */
export async function engineRecords(count: number, seed: number): Promise<MessageRecord[]> {
  const records: MessageRecord[] = [];
  const store = { messages: { insert: async (r: MessageRecord) => (records.push(r), { inserted: true as const }) } } as unknown as Store;
  const intake = new Hl7Intake({
    core: new StoreAndQueue({ store, deliveryQueues: new DeliveryQueues(), log: silentLogger(), storeTimeoutMs: 5000 }),
    transforms,
    log: silentLogger(),
  });
  const channel = interpolateEnv(ehrMllp, {}, 'channel ehr-mllp');
  const mix = new MessageMix({ seed, tag: 'SF' });
  for (let i = 0; i < count; i++) {
    const m = mix.next();
    const result = await intake.submit(channel, m.frame.subarray(1, m.frame.length - 2));
    if (result.code !== 'AA') throw new Error(`mix message ${m.kind} not accepted: ${result.code}`);
  }
  return records;
}

export interface StoreFloorOptions {
  mongoUrl: string;
  db: string;
  records: MessageRecord[];
  durationMs: number;
  /** Only insertOne with 16 in flight and insertMany of 64 (--quick). */
  quick?: boolean;
}

/** The rate of the end-to-end target (issue 9: ACK p99 ≤ 10 ms at 500 msg/s). */
export const OPEN_LOOP_RATE = 500;

/** Runs each insert pattern for `durationMs`; returns one row per pattern. */
export async function measureStoreFloor(o: StoreFloorOptions): Promise<StoreFloorRow[]> {
  const indexes = new Store({ url: o.mongoUrl, dbName: o.db });
  await indexes.start();
  await indexes.close();
  const client = new MongoClient(o.mongoUrl, { promoteBuffers: true, serverApi: { version: ServerApiVersion.v1, strict: false } });
  await client.connect();
  const durable = { writeConcern: { w: 'majority' as const, j: true } };
  const messages = client.db(o.db).collection<MessageContent>('messages', durable);
  const states = client.db(o.db).collection<MessageState>(STATES_COLLECTION, durable);
  let n = 0;
  /** A new message as the engine stores it: its content and its state, two documents (message-state.ts). */
  const fresh = () => {
    const r = o.records[n++ % o.records.length]!;
    const id = newMessageId();
    return splitRecord({ ...r, _id: id, dedupeKey: `floor|${id}` });
  };
  /** One message's two documents, side by side as the engine writes them; `batch` messages at once. */
  const insert = async (batch: number) => {
    const docs = Array.from({ length: batch }, fresh);
    await Promise.all([
      messages.insertMany(
        docs.map((d) => d.content),
        { ordered: false },
      ),
      states.insertMany(
        docs.map((d) => d.state),
        { ordered: false },
      ),
    ]);
  };
  const rows: StoreFloorRow[] = [];
  const run = async (pattern: string, inFlight: number, batch: number) => {
    const calls: number[] = [];
    let docs = 0;
    const deadline = Date.now() + o.durationMs;
    const loop = async () => {
      while (Date.now() < deadline) {
        const start = performance.now();
        await insert(batch);
        calls.push(performance.now() - start);
        docs += batch;
      }
    };
    await Promise.all(Array.from({ length: inFlight }, loop));
    calls.sort((a, b) => a - b);
    rows.push({
      pattern,
      inFlight,
      batch,
      docsPerSecond: Math.round(docs / (o.durationMs / 1000)),
      callP50Ms: round(calls[Math.floor(calls.length / 2)] ?? 0),
    });
  };
  const openLoop = async (rate: number) => {
    const calls: number[] = [];
    const total = Math.round((rate * o.durationMs) / 1000);
    const inserts: Promise<void>[] = [];
    const t0 = performance.now();
    for (let i = 0; i < total; i++) {
      const due = t0 + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      inserts.push(insert(1).then(() => void calls.push(performance.now() - due)));
    }
    await Promise.all(inserts);
    const seconds = (performance.now() - t0) / 1000;
    calls.sort((a, b) => a - b);
    const at = (q: number) => round(calls[Math.min(calls.length - 1, Math.floor(calls.length * q))] ?? 0);
    rows.push({
      pattern: 'insertOne, open loop',
      inFlight: 0,
      batch: 1,
      docsPerSecond: Math.round(total / seconds),
      callP50Ms: at(0.5),
      ratePerSecond: rate,
      callP99Ms: at(0.99),
    });
  };
  try {
    await openLoop(OPEN_LOOP_RATE);
    for (const c of o.quick ? [16] : [1, 16, 64]) await run('insertOne', c, 1);
    for (const b of o.quick ? [64] : [16, 64]) await run('insertMany', 1, b);
  } finally {
    await client
      .db(o.db)
      .dropDatabase()
      .catch(() => undefined);
    await client.close();
  }
  return rows;
}
