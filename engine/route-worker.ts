import { Worker, type ConnectionOptions, type Job, type Queue } from 'bullmq';
import { decodeBytes, parseMessage, Hl7ParseError } from './hl7v2/index.ts';
import type { ChannelDefinition } from './channel.ts';
import { SwitchboardError, toSwitchboardError } from './errors.ts';
import type { Logger } from './log.ts';
import { deliveryJobId, JOB_OPTIONS, ROUTE_QUEUE, workerOptions, type DeliveryJobData, type RouteJobData } from './queue/queues.ts';
import type { MongoStore } from './store/mongo-store.ts';
import type { DeliveryRecord, MessageRecord } from './store/message-record.ts';
import { isTerminalDelivery, MessageStatus } from './store/states.ts';
import type { CompiledTransform } from '../transforms/transform.ts';

export interface RouteWorkerOptions {
  channels: ReadonlyMap<string, ChannelDefinition>;
  transforms: ReadonlyMap<string, CompiledTransform>;
  store: MongoStore;
  deliveryQueues: ReadonlyMap<string, Queue<DeliveryJobData>>;
  worker: { connection: ConnectionOptions; prefix: string; concurrency: number };
  log: Logger;
}

/**
 * The route step: transform a received message into canonical events, validate them, save them
 * with the transform version and one pending delivery per destination, then queue the deliveries.
 * Idempotent: a re-run (crash, relay) of a routed message only re-queues unsettled deliveries.
 * A transform or validation failure marks the message `errored` (replayable after a fix).
 */
export class RouteWorker {
  private readonly worker: Worker<RouteJobData>;

  constructor(private readonly options: RouteWorkerOptions) {
    this.worker = new Worker<RouteJobData>(ROUTE_QUEUE, (job) => this.process(job), workerOptions(options.worker));
    this.worker.on('error', (err) => options.log.warn('route worker connection error', { error: err.name }));
  }

  start(): void {
    if (!this.worker.isRunning()) void this.worker.run();
  }

  close(graceMs: number): Promise<void> {
    return closeWorker(this.worker, graceMs);
  }

  private async process(job: Job<RouteJobData>): Promise<void> {
    const { messageId } = job.data;
    const message = await this.options.store.getMessage(messageId);
    if (!message) return;
    let deliveries = message.deliveries;
    if (message.status === MessageStatus.received) {
      const routed = this.route(message);
      if (routed.kind === 'errored') {
        this.options.log.warn('transform failed; message errored', { messageId, channelId: message.channelId, code: routed.error.code });
        await this.options.store.markErrored(messageId, { code: routed.error.code, detail: routed.error.message });
        return;
      }
      deliveries = routed.deliveries;
      await this.options.store.markRouted(messageId, routed.canonical, deliveries);
    } else if (message.status !== MessageStatus.routed) {
      return;
    }
    for (const d of Object.values(deliveries)) {
      if (isTerminalDelivery(d.status)) continue;
      const queue = this.options.deliveryQueues.get(d.destinationId);
      if (!queue) continue;
      await queue.add('deliver', { messageId, destinationId: d.destinationId }, { ...JOB_OPTIONS, jobId: deliveryJobId(messageId, d.destinationId) });
    }
  }

  /** Pure: message in, canonical record and deliveries out (or the classified failure). */
  private route(message: MessageRecord):
    | { kind: 'routed'; canonical: NonNullable<MessageRecord['canonical']> | undefined; deliveries: Record<string, DeliveryRecord> }
    | { kind: 'errored'; error: SwitchboardError } {
    try {
      const channel = this.options.channels.get(message.channelId);
      if (!channel) throw new SwitchboardError('CONFIG_INVALID', `channel ${message.channelId} is not deployed`);
      const parsed = parseMessage(decodeBytes(message.raw, { defaultCharset: message.charset }).text);
      const type = `${parsed.header.messageType}^${parsed.header.triggerEvent}`;
      const transform = channel.transforms.map((id) => this.options.transforms.get(id)).find((t) => t?.accepts.includes(type));
      if (!transform) return { kind: 'routed', canonical: undefined, deliveries: {} };
      const events = transform.run(parsed, { channelId: channel.id });
      const deliveries: Record<string, DeliveryRecord> = {};
      for (const dest of channel.destinations) {
        if (!dest.models.includes(transform.model) || events.length === 0) continue;
        deliveries[dest.id] = { destinationId: dest.id, status: 'pending', idempotencyKey: `${message._id}:${dest.id}`, sentEvents: 0, attempts: [] };
      }
      const canonical = { transformId: transform.id, transformVersion: transform.version, model: transform.model, modelVersion: transform.modelVersion, events };
      return { kind: 'routed', canonical, deliveries };
    } catch (err) {
      if (err instanceof Hl7ParseError) return { kind: 'errored', error: new SwitchboardError('HL7_PARSE', (err as Hl7ParseError).reason) };
      const e = toSwitchboardError(err);
      if (e.failureClass !== 'permanent') throw e;
      return { kind: 'errored', error: e };
    }
  }
}

/** Closes a BullMQ worker within `graceMs`, then forces it: jobs still active are re-run elsewhere later. */
export async function closeWorker(worker: Worker, graceMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const forced = new Promise<void>((resolve) => {
    timer = setTimeout(() => resolve(worker.close(true).catch(() => undefined)), graceMs);
  });
  try {
    await Promise.race([worker.close().catch(() => undefined), forced]);
  } finally {
    clearTimeout(timer);
  }
}
