import type { Collection, CreateIndexesOptions, Db, Document, IndexSpecification } from 'mongodb';
import type { ReplayRecord } from './message-record.ts';
import type { MessageContent, MessageState } from './message-state.ts';

interface IndexDefinition {
  name: string;
  key: IndexSpecification;
  options?: Omit<CreateIndexesOptions, 'name'>;
  /**
   * Whether FerretDB gets it too. FerretDB 1.24 makes each index a PostgreSQL btree on
   * `(_jsonb->'field')`, but passes every filter down as a containment (`_jsonb->'field' @> …`),
   * which a btree cannot serve, and sorts in its own code once there is a filter: such an index
   * serves no query there and costs every insert and update an entry (a FerretDB update rewrites the
   * row, so each index takes a new entry). FerretDB keeps only what enforces uniqueness; the GIN
   * indexes of scripts/ferretdb-indexes.sql serve its reads.
   */
  onFerretDb: boolean;
}

/** The `messages` indexes (and what each serves, on MongoDB). */
export const MESSAGE_INDEXES: readonly IndexDefinition[] = [
  { name: 'dedupe', key: { dedupeKey: 1 }, options: { unique: true }, onFerretDb: true },
  { name: 'channel_time', key: { channelId: 1, receivedAt: -1 }, onFerretDb: false },
  // Search by MRN or control id (search-keys.ts).
  { name: 'search_keys', key: { searchKeys: 1, _id: -1 }, onFerretDb: false },
  { name: 'message_type', key: { 'summary.messageType': 1, _id: -1 }, onFerretDb: false },
  { name: 'received_at', key: { receivedAt: -1 }, onFerretDb: false },
];

/** The `message_states` indexes (message-state.ts), and what each serves on MongoDB. */
export const STATE_INDEXES: readonly IndexDefinition[] = [
  // The console's list by status, destination or error code; counts by channel and minute.
  { name: 'channel_time', key: { channelId: 1, receivedAt: -1 }, onFerretDb: false },
  { name: 'status_updated', key: { status: 1, updatedAt: 1 }, onFerretDb: false },
  // Sparse: only messages in flight, for the relay (on FerretDB: the partial index of ferretdb-indexes.sql).
  { name: 'unsettled', key: { unsettled: 1 }, options: { sparse: true }, onFerretDb: false },
  { name: 'destinations', key: { destinationIds: 1, _id: -1 }, onFerretDb: false },
  { name: 'error_codes', key: { errorCodes: 1, _id: -1 }, onFerretDb: false },
  // Ordered destinations' head check (order-keys.ts).
  { name: 'order_keys', key: { orderKeys: 1, _id: 1 }, options: { sparse: true }, onFerretDb: false },
  // A replay's read-back (replay-ids.ts).
  { name: 'replay_ids', key: { replayIds: 1 }, options: { sparse: true }, onFerretDb: false },
  // Pruning's walk by received day (ops/retention; on FerretDB the GIN index of ferretdb-indexes.sql).
  { name: 'received_day', key: { receivedDay: 1 }, onFerretDb: false },
];

/** Indexes of `messages` on state fields, made by versions before the two-document layout: dropped everywhere. */
const RETIRED_MESSAGE_INDEXES = ['status_updated', 'unsettled', 'destinations', 'error_codes', 'order_keys', 'replay_ids'];

/** Whether the server is FerretDB (its buildInfo says so), which gets fewer indexes (see IndexDefinition.onFerretDb). */
export async function isFerretDb(db: Db): Promise<boolean> {
  return Boolean((await db.command({ buildInfo: 1 })).ferretdbVersion);
}

/**
 * Creates the indexes of `messages`, `message_states` and `replays` the server gets, one command per
 * index (FerretDB 1.24 drops the connection on a multi-index createIndexes when they exist). Drops
 * the indexes of `messages` an earlier version made on fields that moved to the states, and on
 * FerretDB those it does not get. Called by Store.start.
 */
export async function ensureMessageIndexes(o: {
  messages: Collection<MessageContent>;
  states: Collection<MessageState>;
  replays: Collection<ReplayRecord>;
  ferretdb: boolean;
}): Promise<void> {
  await ensureIndexes(o.messages, MESSAGE_INDEXES, o.ferretdb, RETIRED_MESSAGE_INDEXES);
  await ensureIndexes(o.states, STATE_INDEXES, o.ferretdb, []);
  await o.replays.createIndex({ state: 1, heartbeatAt: 1 }, { name: 'state_heartbeat' });
}

async function ensureIndexes<T extends Document>(
  collection: Collection<T>,
  indexes: readonly IndexDefinition[],
  ferretdb: boolean,
  retired: readonly string[],
): Promise<void> {
  for (const index of indexes) {
    if (!ferretdb || index.onFerretDb) await collection.createIndex(index.key, { ...index.options, name: index.name });
  }
  const unused = new Set([...retired, ...(ferretdb ? indexes.filter((i) => !i.onFerretDb).map((i) => i.name) : [])]);
  if (unused.size === 0) return;
  for (const existing of await collection.listIndexes().toArray()) {
    if (unused.has(existing.name as string)) await collection.dropIndex(existing.name as string);
  }
}
