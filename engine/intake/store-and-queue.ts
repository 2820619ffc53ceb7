import { toSwitchboardError, type ErrorCode } from '../errors.ts';
import type { Logger } from '../log.ts';
import { queueStored, type DeliveryHandoff } from '../queue/handoff.ts';
import type { DeliveryQueues } from '../queue/delivery-queues.ts';
import type { MessageRecord } from '../store/message-record.ts';
import type { Store } from '../store/store.ts';
import type { FlowStarter } from '../flows/flow-starter.ts';
import { withTimeout } from '../timeout.ts';
import { SpanKind, type Span } from '@opentelemetry/api';
import { SpanAttribute, type SpanAttributes } from '../ops/tracing/span-attributes.ts';
import { inSpan, SpanName, type SpanName as Name } from '../ops/tracing/spans.ts';
import { carrierFields, carrierOf, parentFrom } from '../ops/tracing/trace-carrier.ts';

/** What the store and queues made of one message (StoreAndQueue.commit). */
export type Committed =
  /** Durably stored under a new key; its deliveries queued (or left to the relay when the queue failed). */
  | { kind: 'stored' }
  /** Its key was taken: a resend (`sameContent`), or other content under a reused key. Nothing new is queued. */
  | { kind: 'existing'; existing: MessageRecord; sameContent: boolean }
  /** Not stored: the store failed or did not answer within STORE_TIMEOUT_MS; the sender should resend. */
  | { kind: 'unavailable'; code: ErrorCode };

export interface StoreAndQueueOptions {
  store: Store;
  deliveryQueues: DeliveryQueues;
  /** Set when this process delivers too (role `all`): stored messages are handed to its workers. */
  handoff?: DeliveryHandoff;
  log: Logger;
  /** Bound on one durable write; past it the message is `unavailable` (the sender resends). */
  storeTimeoutMs: number;
  /** The process flows the message may start, created before the sender is answered; none when no flow is declared. */
  flows?: FlowStarter;
}

/** Bound on queueing a stored message's deliveries; past it the relay queues them. */
const QUEUE_TIMEOUT_MS = 2000;

/**
 * The one store-and-queue step of every intake front end (HL7v2, FHIR): the message record, already
 * planned (routed, transformed), is written once, durably (w: majority, j: true), under its
 * de-duplication key; then the process flows it triggers are created (FlowStarter); then one job per
 * delivery is queued, holding ids only. The caller answers
 * the sender only after `commit` resolves, and from what it says. Never throws: a store failure is
 * `unavailable`, a queue failure is logged and left to the relay, which queues whatever the store
 * holds unsettled.
 */
export class StoreAndQueue {
  constructor(private readonly o: StoreAndQueueOptions) {}

  async commit(record: MessageRecord, log: Logger, span?: Span): Promise<Committed> {
    let stored: Awaited<ReturnType<Store['messages']['insert']>>;
    if (span) Object.assign(record, carrierOf(span));
    try {
      stored = await this.traced(span, SpanName.storeWrite, record, () =>
        withTimeout(this.o.store.messages.insert(record), this.o.storeTimeoutMs, 'STORE_UNAVAILABLE'),
      );
    } catch (err) {
      return { kind: 'unavailable', code: toSwitchboardError(err).code };
    }
    if (!stored.inserted) {
      // A resend of a message stored without its flow instances (a crash between the two writes) creates them now.
      const started = stored.sameContent ? await this.ensureFlows(stored.existing) : undefined;
      return started ?? { kind: 'existing', existing: stored.existing, sameContent: stored.sameContent };
    }
    const unstarted = await this.ensureFlows(record);
    if (unstarted) return unstarted;
    const destinationIds = Object.keys(record.deliveries);
    if (destinationIds.length === 0) return { kind: 'stored' };
    try {
      const { deliveryQueues: queues, handoff } = this.o;
      const { channelId, _id: messageId } = record;
      const queue = (queueSpan: Span | undefined) => {
        const trace = carrierOf(queueSpan);
        const queued = queueStored({ queues, handoff, channelId, messageId, destinationIds, forDelivery: stored.forDelivery, trace });
        return withTimeout(queued, QUEUE_TIMEOUT_MS, 'QUEUE_UNAVAILABLE');
      };
      const producer = { name: SpanName.queueDeliveries, kind: SpanKind.PRODUCER, parent: span };
      await (span
        ? inSpan({ ...producer, attributes: ids(record, { [SpanAttribute.count]: destinationIds.length }) }, queue, done)
        : queue(undefined));
    } catch (err) {
      log.warn('stored but not queued; the relay will queue it', { code: toSwitchboardError(err).code });
    }
    return { kind: 'stored' };
  }

  /** Whether a flow starts from the channel's messages. */
  watchesFlows(channelId: string): boolean {
    return this.o.flows?.watches(channelId) ?? false;
  }

  /**
   * Creates the flow instances the message triggers, within the store bound: undefined when done (or
   * none), else `unavailable`: the message is stored but the sender is not told so, and its resend
   * creates them. Also called for each entry of a FHIR transaction once it is stored.
   */
  async ensureFlows(record: MessageRecord): Promise<Committed | undefined> {
    const { flows } = this.o;
    if (!flows || !this.watchesFlows(record.channelId)) return undefined;
    try {
      const parent = parentFrom(record);
      const create = (span: Span | undefined) =>
        withTimeout(flows.create(record, span ? carrierOf(span) : carrierFields(record)), this.o.storeTimeoutMs, 'STORE_UNAVAILABLE');
      await (parent ? inSpan({ name: SpanName.flowStart, parent, attributes: ids(record) }, create, done) : create(undefined));
      return undefined;
    } catch (err) {
      return { kind: 'unavailable', code: toSwitchboardError(err).code };
    }
  }

  /** `work` in a child span of `parent` named `name`, with the message's ids; the outcome is `done` or the failure's code. */
  private traced<T>(parent: Span | undefined, name: Name, record: MessageRecord, work: () => Promise<T>): Promise<T> {
    return parent ? inSpan({ name, parent, attributes: ids(record) }, work, done) : work();
  }

  /** Stores a record kept for review only (a rejected message): best effort, never queued. */
  async keep(record: MessageRecord, log: Logger): Promise<void> {
    try {
      await withTimeout(this.o.store.messages.insert(record), this.o.storeTimeoutMs, 'STORE_UNAVAILABLE');
    } catch (err) {
      log.warn('rejected message could not be stored', { code: toSwitchboardError(err).code });
    }
  }
}

/** How a span of work that did not fail ends. */
const done = () => ({ outcome: 'done' });

/** The ids every intake span of a message carries, with `more`. */
const ids = (record: MessageRecord, more: SpanAttributes = {}): SpanAttributes => ({
  [SpanAttribute.channelId]: record.channelId,
  [SpanAttribute.messageId]: record._id,
  ...more,
});
