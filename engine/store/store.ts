import { MongoClient, ServerApiVersion, type Collection, type Db, type Document } from 'mongodb';
import { SwitchboardError } from '../errors.ts';
import { DeliveryStateStore } from './delivery-state.store.ts';
import { MaintenanceStore } from './maintenance.store.ts';
import type { ReplayRecord } from './message-record.ts';
import type { MessageContent, MessageState } from './message-state.ts';
import { ensureMessageIndexes, isFerretDb } from './message-indexes.ts';
import { MessageStore } from './messages.store.ts';
import { RecordSealer } from './record-sealer.ts';
import { RelayStore } from './relay.store.ts';
import { RetentionStore } from './retention.store.ts';
import { ReplayStore } from './replays.store.ts';
import { DURABLE, storeCall } from './store-call.ts';
import type { MetaDocument, StoreContext } from './store-context.ts';
import { FLOWS_COLLECTION, FlowStore } from './flows.store.ts';

/**
 * The MongoDB system of record (runs on MongoDB 6+ and on FerretDB: CRUD, unique and compound
 * indexes, simple aggregations only): the connection, its collections and indexes, and one object
 * per role, which callers use directly (`store.messages.insert(…)`). The roles work once `start()`
 * has resolved; every method of theirs throws `SwitchboardError('STORE_UNAVAILABLE')` when the
 * server cannot be reached or does not confirm the write.
 */
export class Store {
  /** Inserts, lookups and searches of messages, and what routing decided. */
  readonly messages: MessageStore;
  /** Delivery updates, settling, and the ordered destinations' head check. */
  readonly deliveryState: DeliveryStateStore;
  /** Replay records and what replays write to and read back from the messages. */
  readonly replays: ReplayStore;
  /** The relay's queries and its repair of the `unsettled` flag. */
  readonly relay: RelayStore;
  /** Backfills and key rotation. */
  readonly maintenance: MaintenanceStore;
  /** Flow instances and their steps (issue 24). */
  readonly flows: FlowStore;
  /** What pruning reads and deletes, its runs, and archive restores (issue 25). */
  readonly retention: RetentionStore;
  private readonly client: MongoClient;
  private db: Db | undefined;
  private messageCollection: Collection<MessageContent> | undefined;
  private stateCollection: Collection<MessageState> | undefined;
  private closing: Promise<void> | undefined;

  /** `sealer`: encryption at rest and keyed search hashes (see RecordSealer); default: neither. */
  constructor(private readonly options: { url: string; dbName: string; serverSelectionTimeoutMs?: number; sealer?: RecordSealer }) {
    this.client = new MongoClient(options.url, {
      serverSelectionTimeoutMS: options.serverSelectionTimeoutMs ?? 2000,
      connectTimeoutMS: 2000,
      socketTimeoutMS: 10_000,
      // Raw message bytes come back as Buffers, not BSON Binary wrappers.
      promoteBuffers: true,
      // OP_MSG from the first handshake (FerretDB 1.24's legacy OP_QUERY reader can panic on it).
      serverApi: { version: ServerApiVersion.v1, strict: false },
    });
    const ctx: StoreContext = {
      sealer: options.sealer ?? new RecordSealer(),
      messages: () => this.messageCollection ?? notStarted(),
      states: () => this.stateCollection ?? notStarted(),
      replays: () => this.collection<ReplayRecord>(REPLAYS_COLLECTION),
      meta: () => this.collection<MetaDocument>('meta'),
    };
    this.messages = new MessageStore(ctx);
    this.deliveryState = new DeliveryStateStore(ctx);
    this.replays = new ReplayStore(ctx);
    this.relay = new RelayStore(ctx);
    this.maintenance = new MaintenanceStore(ctx);
    this.flows = new FlowStore(() => this.collection(FLOWS_COLLECTION), ctx.sealer);
    this.retention = new RetentionStore(
      ctx,
      (name) => this.collection(name),
      () => this.db ?? notStarted(),
    );
  }

  /** Connects, makes the indexes the messages, their states and replays need, and runs the backfills of earlier versions' messages. */
  async start(): Promise<void> {
    await this.client.connect();
    this.db = this.client.db(this.options.dbName);
    this.messageCollection = this.db.collection<MessageContent>('messages', { writeConcern: DURABLE });
    // Made now, so that its indexes (on FerretDB those of scripts/ferretdb-indexes.sql) exist before the first state.
    await this.db.createCollection(STATES_COLLECTION).catch((err: unknown) => {
      if ((err as { code?: number }).code !== NAMESPACE_EXISTS) throw err;
    });
    this.stateCollection = this.db.collection<MessageState>(STATES_COLLECTION, { writeConcern: DURABLE });
    await ensureMessageIndexes({
      messages: this.messageCollection,
      states: this.stateCollection,
      replays: this.collection<ReplayRecord>(REPLAYS_COLLECTION),
      ferretdb: await isFerretDb(this.db),
    });
    await this.flows.start();
    await this.maintenance.backfill();
  }

  async ping(): Promise<void> {
    const db = this.db ?? notStarted();
    await storeCall(() => db.command({ ping: 1 }), 'store.ping');
  }

  /** Closes the client once; later calls return the same promise. */
  close(): Promise<void> {
    this.closing ??= this.client.close().catch(() => undefined);
    return this.closing;
  }

  /** A collection of the store's database (another room's: users, sessions, audit), with durable writes. */
  collection<T extends Document>(name: string): Collection<T> {
    return (this.db ?? notStarted()).collection<T>(name, { writeConcern: DURABLE });
  }
}

/** The server's error code for a collection that exists already. */
const NAMESPACE_EXISTS = 48;

/** The collection of the messages' state documents (message-state.ts). */
export const STATES_COLLECTION = 'message_states';
/** Replay records (ReplayRecord): one per replay, its selection, progress and what it set back to pending. */
export const REPLAYS_COLLECTION = 'replays';

function notStarted(): never {
  throw new SwitchboardError('STORE_UNAVAILABLE', 'store not started');
}
