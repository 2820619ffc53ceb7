import type { Collection, Filter, UpdateFilter } from 'mongodb';
import { FlowStatus, type StepStatus } from '../flows/flow-states.ts';
import type { StepState } from '../flows/step-planner.ts';
import type { RecordSealer } from './record-sealer.ts';
import { insertAllowingDuplicates } from './group-commit.ts';
import { storeCall } from './store-call.ts';

/** The collection of flow instances (one document each; its steps inside). */
export const FLOWS_COLLECTION = 'flow_instances';

/** A step as stored: its output as JSON text, sealed when encrypting (RecordSealer.sealValue). */
type StoredStep = Omit<StepState, 'output'> & { output?: string };

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
  /** Set while the instance may still change (running or stalled): what the relay scans. */
  unsettled?: true;
  steps: Record<string, StepState>;
  createdAt: Date;
  updatedAt: Date;
}

type StoredInstance = Omit<FlowInstance, 'steps'> & { steps: Record<string, StoredStep> };

export const flowInstanceId = (messageId: string, flowId: string, eventIndex: number) => `${messageId}:${flowId}:${eventIndex}`;

const unsettledOf = (s: FlowStatus) => s === FlowStatus.running || s === FlowStatus.stalled;

/**
 * Flow instances in the store: created beside the message that triggers them, then changed one
 * step at a time by conditional updates (a transition happens only from the states it names, so
 * two workers racing for a step change it once; no transactions, as FerretDB has none). Step
 * outputs are content: sealed when encrypting. Every failure is STORE_UNAVAILABLE.
 */
export class FlowStore {
  constructor(
    private readonly instances: () => Collection<StoredInstance>,
    private readonly sealer: RecordSealer,
  ) {}

  /** Inserts instances; an instance that exists (a retried intake) is left as it is. */
  /** The indexes the relay's scan and the console's list read. */
  async start(): Promise<void> {
    // One createIndex each, none on `_id` beside another field: FerretDB 1.24 drops the connection on that form.
    await storeCall(() => this.instances().createIndex({ unsettled: 1, updatedAt: 1 }, { name: 'unsettled_updated' }));
    await storeCall(() => this.instances().createIndex({ flowId: 1, createdAt: -1 }, { name: 'flow_newest' }));
  }

  async create(instances: readonly FlowInstance[]): Promise<void> {
    if (instances.length === 0) return;
    await storeCall(() =>
      insertAllowingDuplicates(
        this.instances(),
        instances.map((i) => this.stored(i)),
      ),
    );
  }

  async get(id: string): Promise<FlowInstance | undefined> {
    const doc = await storeCall(() => this.instances().findOne({ _id: id }));
    return doc ? this.opened(doc) : undefined;
  }

  /**
   * Moves a step from one of `from` to `to` with `set` (its attempts, output, error, reason), and
   * the instance to `status` when given. False when the step was not in one of `from` (someone
   * else moved it first).
   */
  async transition(o: {
    id: string;
    stepId: string;
    from: readonly StepStatus[];
    to: StepStatus;
    set?: Partial<StepState>;
    status?: FlowStatus;
  }): Promise<boolean> {
    const path = `steps.${o.stepId}`;
    const set: Record<string, unknown> = { [`${path}.status`]: o.to, updatedAt: new Date() };
    for (const [k, v] of Object.entries(o.set ?? {})) set[`${path}.${k}`] = k === 'output' ? this.sealer.sealValue(v) : v;
    const update: UpdateFilter<StoredInstance> = { $set: set };
    if (o.status) {
      set.status = o.status;
      if (unsettledOf(o.status)) set.unsettled = true;
      else update.$unset = { unsettled: '' };
    }
    const filter = { _id: o.id, [`${path}.status`]: { $in: [...o.from] } } as Filter<StoredInstance>;
    const result = await storeCall(() => this.instances().updateOne(filter, update));
    return result.modifiedCount === 1;
  }

  /** Instances in flight not changed since `olderThan`, for the relay to re-queue their steps. */
  async findUnsettled(olderThan: Date, limit: number): Promise<FlowInstance[]> {
    const docs = await storeCall(() =>
      this.instances()
        .find({ unsettled: true, updatedAt: { $lt: olderThan } }, { limit })
        .toArray(),
    );
    return docs.map((d) => this.opened(d));
  }

  /** The newest instances of a flow, optionally in one state (the console's list). */
  async list(o: { flowId?: string; status?: FlowStatus; limit: number }): Promise<FlowInstance[]> {
    const filter: Filter<StoredInstance> = {};
    if (o.flowId) filter.flowId = o.flowId;
    if (o.status) filter.status = o.status;
    const docs = await storeCall(() =>
      this.instances()
        .find(filter, { sort: { createdAt: -1 }, limit: o.limit })
        .toArray(),
    );
    return docs.map((d) => this.opened(d));
  }

  private stored(i: FlowInstance): StoredInstance {
    const steps = Object.fromEntries(
      Object.entries(i.steps).map(([id, { output, ...s }]) => [
        id,
        output === undefined ? s : { ...s, output: this.sealer.sealValue(output) },
      ]),
    );
    return { ...i, steps, ...(unsettledOf(i.status) ? { unsettled: true as const } : {}) };
  }

  private opened(doc: StoredInstance): FlowInstance {
    const steps = Object.fromEntries(
      Object.entries(doc.steps).map(([id, { output, ...s }]) => [
        id,
        output === undefined ? s : { ...s, output: this.sealer.openValue(output) as Record<string, unknown> },
      ]),
    );
    return { ...doc, steps };
  }
}
