import type { Collection } from 'mongodb';
import type { MessageState } from './message-state.ts';
import { receivedDayOf } from './received-minute.ts';
import { storeCall } from './store-call.ts';

/** States read per round trip of the cursor. */
const CHUNK = 1000;

/**
 * Gives `receivedDay` (received-minute.ts) to the states stored before the field existed, `batch`
 * at a time, calling `rest` after each (the pruner's pacing). One read of the whole states
 * collection (FerretDB passes no `$exists` down). Idempotent: a state that has the field is left.
 * Returns how many it gave. STORE_UNAVAILABLE (storeCall) when the server does not answer.
 */
export async function backfillReceivedDays(states: Collection<MessageState>, batch: number, rest: () => Promise<void>): Promise<number> {
  const cursor = states.find({}, { projection: { _id: 1, receivedAt: 1, receivedDay: 1 }, batchSize: CHUNK });
  let ops: { updateOne: { filter: { _id: string }; update: { $set: { receivedDay: string } } } }[] = [];
  let given = 0;
  const flush = async () => {
    if (ops.length === 0) return;
    const now = ops;
    ops = [];
    await storeCall(() => states.bulkWrite(now, { ordered: false }), 'retention.backfillDays');
    given += now.length;
    await rest();
  };
  try {
    for (;;) {
      const doc = await storeCall(() => cursor.next(), 'retention.readForBackfill');
      if (!doc) break;
      if (doc.receivedDay || !(doc.receivedAt instanceof Date)) continue;
      ops.push({ updateOne: { filter: { _id: doc._id }, update: { $set: { receivedDay: receivedDayOf(doc.receivedAt) } } } });
      if (ops.length >= batch) await flush();
    }
    await flush();
  } finally {
    await cursor.close().catch(() => undefined);
  }
  return given;
}
