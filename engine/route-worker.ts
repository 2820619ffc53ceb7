import { Worker, type Job } from 'bullmq';
import type { ChannelDefinition } from './channel.ts';
import { SwitchboardError } from './errors.ts';
import type { Logger } from './log.ts';
import { closeWorker, logFailedJobs, queueDeliveries, ROUTE_QUEUE, workerOptions, type RouteJobData } from './queue/queues.ts';
import type { DeliveryQueues } from './queue/delivery-queues.ts';
import { planStoredMessage } from './routing.ts';
import type { Store } from './store/store.ts';
import type { DeliveryRecord, MessageRecord, RoutePlan } from './store/message-record.ts';
import { isTerminalDelivery, MessageStatus } from './store/states.ts';
import type { Transform } from '../transforms/dsl/define-transform.ts';
import type { FlowStarter } from './flows/flow-starter.ts';

export interface RouteWorkerOptions {
  channels: ReadonlyMap<string, ChannelDefinition>;
  transforms: ReadonlyMap<string, Transform>;
  store: Store;
  deliveryQueues: DeliveryQueues;
  worker: { connection: import('bullmq').ConnectionOptions; prefix: string; concurrency: number };
  log: Logger;
  /** Starts the flows a re-routed message triggers (instances already there are left). */
  flows?: FlowStarter;
}

/**
 * Routes messages that are `received` but not yet routed: intake routes new messages inline, so
 * this worker handles messages sent back to `received` (a replay after a transform fix) and those
 * the relay finds. It re-reads the stored HL7v2 bytes or FHIR JSON, runs planRoute with the current transforms and
 * queues the deliveries. Idempotent: a routed message only gets its unsettled deliveries re-queued.
 */
export class RouteWorker {
  private readonly worker: Worker<RouteJobData>;

  constructor(private readonly options: RouteWorkerOptions) {
    this.worker = new Worker<RouteJobData>(ROUTE_QUEUE, (job) => this.process(job), workerOptions(options.worker));
    this.worker.on('error', (err) => options.log.warn('route worker connection error', { error: err.name }));
    logFailedJobs(this.worker, options.log);
  }

  start(): void {
    if (!this.worker.isRunning()) void this.worker.run();
  }

  close(graceMs: number): Promise<void> {
    return closeWorker(this.worker, graceMs);
  }

  private async process(job: Job<RouteJobData>): Promise<void> {
    const { messageId } = job.data;
    const message = await this.options.store.messages.get(messageId);
    if (!message) return this.options.store.messages.dropOrphanState(messageId);
    let deliveries: Record<string, DeliveryRecord> = message.deliveries;
    if (message.status === MessageStatus.received) {
      const plan = this.plan(message);
      await this.options.store.messages.applyPlan(messageId, plan);
      if (plan.status === MessageStatus.errored) {
        this.options.log.warn('transform failed; message errored', { messageId, channelId: message.channelId, code: plan.error.code });
        return;
      }
      deliveries = plan.deliveries;
      if (this.options.flows?.watches(message.channelId))
        await this.options.flows.create({ ...message, canonical: { events: plan.events } });
    } else if (message.status !== MessageStatus.routed) {
      return;
    }
    const open = Object.values(deliveries).filter((d) => !isTerminalDelivery(d.status));
    await queueDeliveries(this.options.deliveryQueues, {
      channelId: message.channelId,
      messageId,
      destinationIds: open.map((d) => d.destinationId),
    });
  }

  private plan(message: MessageRecord): RoutePlan {
    const channel = this.options.channels.get(message.channelId);
    if (!channel)
      return {
        status: MessageStatus.errored,
        error: new SwitchboardError('CONFIG_INVALID', `channel ${message.channelId} is not deployed`),
      };
    return planStoredMessage({ message, channel, transforms: this.options.transforms });
  }
}
