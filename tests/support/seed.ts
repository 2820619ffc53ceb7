import { newMessageId } from '../../engine/ids.ts';
import type { MessageRecord } from '../../engine/store/message-record.ts';
import { splitRecord, type MessageContent, type MessageState } from '../../engine/store/message-state.ts';
import { STATE_LAYOUT_MARKER } from '../../engine/store/state-layout.ts';
import { STATES_COLLECTION, Store } from '../../engine/store/store.ts';
import { sharedMongoUrl } from './services.ts';
import { uniqueName } from '../../scripts/lib/unique-name.ts';

/**
 * A message of channel `ehr-mllp` whose only delivery (`erp`) died, as after an ERP outage, for
 * seeding the store straight (thousands in seconds, where MLLP intake would take minutes).
 * `i` makes its control id (`BULK<i>`) and visit (`VB<i>`).
 */
export function deadMessage(i: number): MessageRecord {
  const now = new Date();
  const id = newMessageId();
  const raw = Buffer.from(
    `MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315083000||ADT^A08|BULK${i}|P|2.5.1\r` +
      `PID|1||B${i}^^^GENHOSP^MR\rPV1|1|I${'|'.repeat(17)}VB${i}\r`,
  );
  return {
    _id: id,
    channelId: 'ehr-mllp',
    format: 'hl7v2',
    receivedAt: now,
    updatedAt: now,
    dedupeKey: `ehr-mllp|EPIC|GENHOSP|BULK${i}`,
    raw,
    charset: 'UNICODE UTF-8',
    status: 'dead',
    canonical: { events: [] },
    deliveries: {
      erp: {
        destinationId: 'erp',
        status: 'dead',
        idempotencyKey: `${id}:erp`,
        sentEvents: 0,
        attempts: [],
        lastError: { code: 'PEER_UNAVAILABLE', detail: 'outage' },
      },
    },
    ack: { code: 'AA', sentAt: now },
  };
}

/**
 * Writes `docs` as the store keeps them (a message and its state, see message-state.ts) by the
 * driver, not through Store: for seeding thousands at once, or documents Store would not write.
 */
export async function insertAsStored(store: Store, docs: readonly MessageRecord[]): Promise<void> {
  const parts = docs.map(splitRecord);
  await store.collection<MessageState>(STATES_COLLECTION).insertMany(parts.map((p) => p.state));
  await store.collection<MessageContent>('messages').insertMany(parts.map((p) => p.content));
}

/**
 * A started store (database named after `prefix`) whose messages are `docs` as an earlier version
 * left them: one document each (before the state layout), written by the driver, not through Store,
 * with the backfill's `marker` and the layout's removed, so that this start runs both. The caller closes it.
 */
export async function storeAfterEarlierVersion(o: { prefix: string; docs: MessageRecord[]; marker: string }): Promise<Store> {
  const dbName = uniqueName(o.prefix);
  const first = new Store({ url: sharedMongoUrl(), dbName });
  await first.start();
  await first.collection<MessageRecord>('messages').insertMany(o.docs);
  await first.collection<{ _id: string }>('meta').deleteMany({ _id: { $in: [o.marker, STATE_LAYOUT_MARKER] } });
  await first.close();
  const store = new Store({ url: sharedMongoUrl(), dbName });
  await store.start();
  return store;
}
