import { toSwitchboardError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { storedInput } from '../routing.ts';
import type { MessageRecord } from '../store/message-record.ts';
import { flowInstanceId, type FlowInstance, type FlowStore } from '../store/flows.store.ts';
import { compileCondition, type Predicate } from '../../transforms/dsl/predicate.ts';
import type { FlowCatalog, LoadedFlow } from './flow-catalog.ts';
import type { FlowCounters } from './flow-counters.ts';
import type { FlowQueues } from './flow-queues.ts';
import { FlowStatus } from './flow-states.ts';
import { initialSteps, readySteps, valueAt } from './step-planner.ts';
import { carrierFields, type TraceCarrier } from '../ops/tracing/trace-carrier.ts';

type Triggering = Pick<
  MessageRecord,
  '_id' | 'channelId' | 'canonical' | 'format' | 'raw' | 'charset' | 'summary' | 'receivedAt' | 'traceparent' | 'tracestate'
>;

/**
 * Starts the flows a stored message triggers (issue 24): one instance per flow of the message's
 * channel and per canonical event of the flow's model (when the flow's filter holds on the message),
 * id `<messageId>:<flowId>:<event index>`. Intake calls `create` after the message is stored and
 * before it answers, so an acknowledged message has its instances; a resend of a message stored
 * without them (a crash between the two writes) creates them then, and the route worker after a
 * re-route. Creating is idempotent. Then the first steps are queued (a queue failure is left to the
 * relay, which queues what the store says is due).
 */
export class FlowStarter {
  private readonly filters = new Map<string, Predicate>();

  constructor(
    private readonly o: {
      catalog: FlowCatalog;
      store: { flows: FlowStore };
      queues: FlowQueues;
      counters: FlowCounters;
      log: Logger;
    },
  ) {}

  /** Whether any flow starts from this channel (intake skips the work otherwise). */
  watches(channelId: string): boolean {
    return this.o.catalog.triggeredBy(channelId).length > 0;
  }

  /**
   * Stores the instances the message triggers, if any (STORE_UNAVAILABLE when it cannot), then queues their first steps, with
   * `trace` (the span that started them, else the message's own) in their jobs.
   */
  async create(record: Triggering, trace: TraceCarrier = carrierFields(record)): Promise<FlowInstance[]> {
    const instances = this.instancesFor(record);
    if (instances.length === 0) return [];
    const created = await this.o.store.flows.create(instances);
    for (const flow of new Set(created.map((i) => i.flowId)))
      this.o.counters.instancesStarted(flow, created.filter((i) => i.flowId === flow).length);
    try {
      for (const i of instances) await this.o.queues.steps(i, readySteps(this.o.catalog.get(i.flowId)!.definition, i.steps), trace);
    } catch (err) {
      this.o.log.warn('flow started but its first steps not queued; the relay will queue them', {
        messageId: record._id,
        code: toSwitchboardError(err).code,
      });
    }
    return instances;
  }

  /** The instances a message triggers (pure but for the filter's parse of the stored message). */
  instancesFor(record: Triggering): FlowInstance[] {
    const events = record.canonical?.events ?? [];
    const out: FlowInstance[] = [];
    for (const flow of this.o.catalog.triggeredBy(record.channelId)) {
      const { definition } = flow;
      if (!events.some((e) => e.model === definition.trigger.model) || !this.filterHolds(flow, record)) continue;
      events.forEach((e, index) => {
        if (e.model !== definition.trigger.model) return;
        const keys = (definition.keys ?? []).map((k) => valueAt(`event.${k}`, e.event, {})).filter((v) => v !== undefined && v !== '');
        out.push({
          _id: flowInstanceId(record._id, definition.id, index),
          flowId: definition.id,
          flowVersion: flow.version,
          messageId: record._id,
          channelId: record.channelId,
          eventIndex: index,
          status: FlowStatus.running,
          steps: initialSteps(definition),
          ...(keys.length > 0 ? { searchKeys: keys.map((k) => this.o.store.flows.searchValue(String(k))) } : {}),
          createdAt: record.receivedAt,
          updatedAt: new Date(),
          ...carrierFields(record),
        });
      });
    }
    return out;
  }

  private filterHolds(flow: LoadedFlow, record: Triggering): boolean {
    const { filter } = flow.definition.trigger;
    if (!filter) return true;
    let predicate = this.filters.get(flow.definition.id);
    if (!predicate) this.filters.set(flow.definition.id, (predicate = compileCondition(filter)));
    return predicate.test({ input: storedInput(record, record.channelId).input });
  }
}
