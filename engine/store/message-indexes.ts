import type { Collection, CreateIndexesOptions, Db, IndexSpecification } from 'mongodb';
import type { MessageRecord, ReplayRecord } from './message-record.ts';

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
  { name: 'status_updated', key: { status: 1, updatedAt: 1 }, onFerretDb: false },
  // Sparse: only messages in flight, for the relay (on FerretDB: the partial index of ferretdb-indexes.sql).
  { name: 'unsettled', key: { unsettled: 1 }, options: { sparse: true }, onFerretDb: false },
  // Search by MRN or control id (search-keys.ts).
  { name: 'search_keys', key: { searchKeys: 1, _id: -1 }, onFerretDb: false },
  { name: 'message_type', key: { 'summary.messageType': 1, _id: -1 }, onFerretDb: false },
  { name: 'destinations', key: { destinationIds: 1, _id: -1 }, onFerretDb: false },
  { name: 'error_codes', key: { errorCodes: 1, _id: -1 }, onFerretDb: false },
  { name: 'received_at', key: { receivedAt: -1 }, onFerretDb: false },
  // Ordered destinations' head check (order-keys.ts).
  { name: 'order_keys', key: { orderKeys: 1, _id: 1 }, options: { sparse: true }, onFerretDb: false },
  // A replay's read-back (replay-ids.ts).
  { name: 'replay_ids', key: { replayIds: 1 }, options: { sparse: true }, onFerretDb: false },
];

/** Whether the server is FerretDB (its buildInfo says so), which gets fewer indexes (see IndexDefinition.onFerretDb). */
export async function isFerretDb(db: Db): Promise<boolean> {
  return Boolean((await db.command({ buildInfo: 1 })).ferretdbVersion);
}

/**
 * Creates the indexes of `messages` and `replays` the server gets, one command per index (FerretDB
 * 1.24 drops the connection on a multi-index createIndexes when they exist). On FerretDB, drops
 * those of MESSAGE_INDEXES it does not get, made by an earlier version. Called by Store.start.
 */
export async function ensureMessageIndexes(o: {
  messages: Collection<MessageRecord>;
  replays: Collection<ReplayRecord>;
  ferretdb: boolean;
}): Promise<void> {
  for (const index of MESSAGE_INDEXES) {
    if (!o.ferretdb || index.onFerretDb) await o.messages.createIndex(index.key, { ...index.options, name: index.name });
  }
  if (o.ferretdb) {
    const unused = new Set(MESSAGE_INDEXES.filter((i) => !i.onFerretDb).map((i) => i.name));
    for (const existing of await o.messages.listIndexes().toArray()) {
      if (unused.has(existing.name as string)) await o.messages.dropIndex(existing.name as string);
    }
  }
  await o.replays.createIndex({ state: 1, heartbeatAt: 1 }, { name: 'state_heartbeat' });
}
