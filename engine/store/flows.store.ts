import type { Collection, Filter, UpdateFilter } from 'mongodb';
import { FlowStatus, type StepStatus } from '../flows/flow-states.ts';
import type { StepState } from '../flows/step-planner.ts';
import type { RecordSealer } from './record-sealer.ts';
import { insertAllowingDuplicates } from './group-commit.ts';
import { storeCall } from './store-call.ts';
import { KeyedLock } from './keyed-lock.ts';
import { DAY_MS } from '../durations.ts';

/** Runs `work` with no other write of the same instance at the same time. */
export type Serializer = <T>(id: string, work: () => Promise<T>) => Promise<T>;

/** The collection of flow instances (one document each; its steps inside). */
export const FLOWS_COLLECTION = 'flow_instances';

/** A step as stored: its request and output as JSON text, sealed when encrypting (RecordSealer.sealValue). */
type StoredStep = Omit<StepState, 'output' | 'request'> & { output?: string; request?: string };

/** Step fields that are content (a request, a peer's answer): sealed at rest when encrypting. */
const SEALED_FIELDS = new Set(['output', 'request']);

/**
 * One run of a flow for one canonical event of a message (issue 24). Its id is deterministic,
 * `<messageId>:<flowId>:<event index>`, so a retried intake creates it once; each step's
 * idempotency key at its peer is `<instance id>:<step id>`.
 */
export interface FlowInstance {
  _id: string;
  flowId: string;
  flowVersion: number;
  messageId: string;
  channelId: string;
  eventIndex: number;
  status: FlowStatus;
  /** Set while the instance may still change (running, stalled or aborting): what the relay scans. */
  unsettled?: true;
  steps: Record<string, StepState>;
  /** The flow's `keys` fields of the event, as stored search values (hashed with SEARCH_HASH_KEY). */
  searchKeys?: string[];
  /** Set when an operator aborted it. */
  abort?: { by: string; reason: string; at: Date };
  createdAt: Date;
  updatedAt: Date;
  /** The triggering message's trace (its intake span), when tracing was on: step jobs queued without one (the relay's) join it. */
  traceparent?: string;
  tracestate?: string;
}

export type StoredInstance = Omit<FlowInstance, 'steps'> & { steps: Record<string, StoredStep> };

export const flowInstanceId = (messageId: string, flowId: string, eventIndex: number) => `${messageId}:${flowId}:${eventIndex}`;

export const isUnsettledFlow = (s: FlowStatus) => s === FlowStatus.running || s === FlowStatus.stalled || s === FlowStatus.aborting;

/** Where a page of the instance list ends: its last instance's creation time and id (FlowStore.list's `before`). */
export interface FlowPage {
  createdAt: Date;
  id: string;
}

/**
 * Flow instances in the store: created beside the message that triggers them, then changed one
 * step at a time by conditional updates (a transition happens only from the states it names, so
 * two workers racing for a step change it once; no transactions, as FerretDB has none). Step
 * requests and outputs are content: sealed when encrypting. Every failure is STORE_UNAVAILABLE.
 */
export class FlowStore {
  /** How the writes of one instance are kept from overlapping: in this process only, until serializeWith. */
  private serial: Serializer;

  constructor(
    private readonly instances: () => Collection<StoredInstance>,
    private readonly sealer: RecordSealer,
  ) {
    const local = new KeyedLock();
    this.serial = (id, work) => local.run(id, work);
  }

  /**
   * Makes the writes of one instance one at a time across processes too (the engine hands in its
   * RedisMutex): FerretDB applies an update by reading and writing the whole document, so two
   * overlapping updates of one instance lose one, and a conditional transition could pass twice.
   */
  serializeWith(serial: Serializer): void {
    this.serial = serial;
  }

  /** The indexes the relay's scan and the console's list read. */
  async start(): Promise<void> {
    // One createIndex each, none on `_id` beside another field: FerretDB 1.24 drops the connection on that form.
    await storeCall(() => this.instances().createIndex({ unsettled: 1, updatedAt: 1 }, { name: 'unsettled_updated' }), 'flows.createIndex');
    await storeCall(() => this.instances().createIndex({ flowId: 1, createdAt: -1 }, { name: 'flow_newest' }), 'flows.createIndex');
    await storeCall(() => this.instances().createIndex({ createdAt: -1 }, { name: 'newest' }), 'flows.createIndex');
    await storeCall(() => this.instances().createIndex({ searchKeys: 1 }, { name: 'search_keys' }), 'flows.createIndex');
  }

  /** The stored form of a business key (`searchKeys`): a keyed hash when SEARCH_HASH_KEY is set. */
  searchValue(value: string): string {
    return this.sealer.searchValue(value);
  }

  /** Inserts instances; an instance that exists (a retried intake) is left as it is. Gives those inserted. */
  async create(instances: readonly FlowInstance[]): Promise<FlowInstance[]> {
    if (instances.length === 0) return [];
    const refused = await storeCall(
      () =>
        insertAllowingDuplicates(
          this.instances(),
          instances.map((i) => this.stored(i)),
        ),
      'flows.create',
    );
    return instances.filter((_, i) => !refused.has(i));
  }

  async get(id: string): Promise<FlowInstance | undefined> {
    const doc = await storeCall(() => this.instances().findOne({ _id: id }), 'flows.get');
    return doc ? this.opened(doc) : undefined;
  }

  /**
   * Moves a step from one of `from` to `to` with `set` (its attempts, output, error, reason…; `unset`
   * removes fields), and the instance to `status` when given. False when the step was not in one of
   * `from` (someone else moved it first).
   */
  async transition(o: {
    id: string;
    stepId: string;
    from: readonly StepStatus[];
    to: StepStatus;
    set?: Partial<StepState>;
    unset?: readonly (keyof StepState)[];
    status?: FlowStatus;
  }): Promise<boolean> {
    const path = `steps.${o.stepId}`;
    const set: Record<string, unknown> = { [`${path}.status`]: o.to, updatedAt: new Date() };
    for (const [k, v] of Object.entries(o.set ?? {})) set[`${path}.${k}`] = SEALED_FIELDS.has(k) ? this.sealer.sealValue(v) : v;
    const unset: Record<string, ''> = Object.fromEntries((o.unset ?? []).map((k) => [`${path}.${k}`, '']));
    if (o.status) {
      set.status = o.status;
      if (isUnsettledFlow(o.status)) set.unsettled = true;
      else unset.unsettled = '';
    }
    const update: UpdateFilter<StoredInstance> = { $set: set, ...(Object.keys(unset).length > 0 ? { $unset: unset } : {}) };
    const filter = { _id: o.id, [`${path}.status`]: { $in: [...o.from] } } as Filter<StoredInstance>;
    return this.update(o.id, filter, update);
  }

  /**
   * Sets the instance's status (and `abort`), only while its steps are in the states `seen` read, so
   * a status worked out from an older read never overwrites a newer one. False when they changed.
   */
  async setStatus(seen: FlowInstance, status: FlowStatus, abort?: FlowInstance['abort']): Promise<boolean> {
    const filter: Record<string, unknown> = { _id: seen._id, status: seen.status };
    for (const [id, step] of Object.entries(seen.steps)) filter[`steps.${id}.status`] = step.status;
    const set: Record<string, unknown> = { status, updatedAt: new Date(), ...(abort ? { abort } : {}) };
    const update: UpdateFilter<StoredInstance> = isUnsettledFlow(status)
      ? { $set: { ...set, unsettled: true } }
      : { $set: set, $unset: { unsettled: '' } };
    return this.update(seen._id, filter as Filter<StoredInstance>, update);
  }

  /** One conditional update of instance `id`, never overlapping another of the same instance (serializeWith). */
  private update(id: string, filter: Filter<StoredInstance>, update: UpdateFilter<StoredInstance>): Promise<boolean> {
    return this.serial(
      id,
      async () => (await storeCall(() => this.instances().updateOne(filter, update), 'flows.update')).modifiedCount === 1,
    );
  }

  /** Marks an instance looked at (the relay's pass), so the next pass finds it only once it is stale again. */
  async touch(id: string): Promise<void> {
    await this.update(id, { _id: id }, { $set: { updatedAt: new Date() } });
  }

  /** Instances in flight not changed since `olderThan`, for the relay to re-queue their steps. */
  async findUnsettled(olderThan: Date, limit: number): Promise<FlowInstance[]> {
    const docs = await storeCall(
      () =>
        this.instances()
          .find({ unsettled: true, updatedAt: { $lt: olderThan } }, { limit })
          .toArray(),
      'flows.findUnsettled',
    );
    return docs.map((d) => this.opened(d));
  }

  /**
   * The newest instances first (by createdAt, then id: the instances of one message share their
   * creation time), by flow, status, creation time and business key (a stored search value:
   * SearchHasher'd when hashing), at most `limit`. `before`, the last instance of the page before
   * (FlowPage), pages on: every instance comes exactly once however many share a time.
   */
  async list(o: {
    flowId?: string;
    status?: FlowStatus;
    from?: Date;
    to?: Date;
    key?: string;
    before?: FlowPage;
    limit: number;
  }): Promise<FlowInstance[]> {
    const filter: Filter<StoredInstance> = {};
    if (o.flowId) filter.flowId = o.flowId;
    if (o.status) filter.status = o.status;
    if (o.key) filter.searchKeys = this.sealer.searchValue(o.key);
    if (o.from || o.to) filter.createdAt = { ...(o.from ? { $gte: o.from } : {}), ...(o.to ? { $lt: o.to } : {}) };
    if (o.before) filter.$or = [{ createdAt: { $lt: o.before.createdAt } }, { createdAt: o.before.createdAt, _id: { $lt: o.before.id } }];
    const docs = await storeCall(
      () =>
        this.instances()
          .find(filter, { sort: { createdAt: -1, _id: -1 }, limit: o.limit })
          .toArray(),
      'flows.list',
    );
    return docs.map((d) => this.opened(d));
  }

  /** How a flow's instances stand: counts by status, the oldest unsettled one's creation, the last 24 hours. */
  async standing(
    flowId: string,
    now = new Date(),
  ): Promise<{
    counts: Record<FlowStatus, number>;
    oldestUnsettledAt?: Date;
    last24h: { started: number; completed: number };
  }> {
    const c = this.instances();
    const statuses = Object.values(FlowStatus);
    const counted = await storeCall(
      () => Promise.all(statuses.map((status) => c.countDocuments({ flowId, status }))),
      'flows.countByStatus',
    );
    const since = new Date(now.getTime() - DAY_MS);
    const [oldest, started, completed] = await storeCall(
      () =>
        Promise.all([
          c.find({ flowId, unsettled: true }, { sort: { createdAt: 1 }, limit: 1, projection: { createdAt: 1 } }).toArray(),
          c.countDocuments({ flowId, createdAt: { $gte: since } }),
          c.countDocuments({ flowId, createdAt: { $gte: since }, status: FlowStatus.completed }),
        ]),
      'flows.standing',
    );
    const counts = Object.fromEntries(statuses.map((s, i) => [s, counted[i]!])) as Record<FlowStatus, number>;
    return { counts, ...(oldest[0] ? { oldestUnsettledAt: oldest[0].createdAt } : {}), last24h: { started, completed } };
  }

  private stored(i: FlowInstance): StoredInstance {
    const steps = Object.fromEntries(
      Object.entries(i.steps).map(([id, s]) => [id, this.mapSealed<StoredStep>(s, (v) => this.sealer.sealValue(v))]),
    );
    return { ...i, steps, ...(isUnsettledFlow(i.status) ? { unsettled: true as const } : {}) };
  }

  private opened(doc: StoredInstance): FlowInstance {
    const steps = Object.fromEntries(
      Object.entries(doc.steps).map(([id, s]) => [id, this.mapSealed<StepState>(s, (v) => this.sealer.openValue(v as string))]),
    );
    return { ...doc, steps };
  }

  private mapSealed<T>(step: object, f: (v: unknown) => unknown): T {
    return Object.fromEntries(Object.entries(step).map(([k, v]) => [k, SEALED_FIELDS.has(k) && v !== undefined ? f(v) : v])) as T;
  }
}
