import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { ensureJob } from '../queue/relay.ts';
import { JOB_OPTIONS } from '../queue/queues.ts';
import { carrierFields, type TraceCarrier } from '../ops/tracing/trace-carrier.ts';

/** One queue per flow: its steps' jobs and its compensation runs. */
export const flowQueueName = (flowId: string): string => `flow.${flowId}`;

/**
 * A job of a flow's queue: ids only, never content. With `stepId`, run that step of the instance;
 * without, run the instance's compensations (after an abort). Its TraceCarrier, while tracing is on:
 * the span that queued it (the flow's start, or the step before), parent of the step's span.
 */
export interface FlowJobData extends TraceCarrier {
  messageId: string;
  instanceId: string;
  stepId?: string;
}

/** BullMQ job ids may not hold `:`; instance ids do (`<message>:<flow>:<index>`), and never a dot. */
const jobKey = (instanceId: string) => instanceId.replaceAll(':', '.');
export const stepJobId = (instanceId: string, stepId: string): string => `s.${jobKey(instanceId)}.${stepId}`;
export const undoJobId = (instanceId: string): string => `u.${jobKey(instanceId)}`;

/**
 * The flows' queues, one per flow the catalog holds, on the deployment's Redis. Job ids are
 * deterministic, so queueing a step twice (intake and the relay, two dependencies finishing at once)
 * leaves one job. Redis is a cache of work: the store says what is due (FlowRelay re-queues it).
 */
export class FlowQueues {
  private readonly queues = new Map<string, Queue<FlowJobData>>();

  constructor(o: { redis: Redis; prefix: string; flowIds: readonly string[] }) {
    for (const id of o.flowIds) this.queues.set(id, new Queue<FlowJobData>(flowQueueName(id), { connection: o.redis, prefix: o.prefix }));
  }

  get(flowId: string): Queue<FlowJobData> | undefined {
    return this.queues.get(flowId);
  }

  /** Queues steps of an instance (each once: a job waiting, delayed or running is left), with `trace` in their jobs. */
  async steps(
    instance: { _id: string; flowId: string; messageId: string },
    stepIds: Iterable<string>,
    trace?: TraceCarrier,
  ): Promise<void> {
    const queue = this.queues.get(instance.flowId);
    const carried = carrierFields(trace);
    for (const stepId of stepIds) {
      const data: FlowJobData = { messageId: instance.messageId, instanceId: instance._id, stepId, ...carried };
      await queue?.add('step', data, { ...JOB_OPTIONS, jobId: stepJobId(instance._id, stepId) });
    }
  }

  /** Makes sure a step's job exists (the relay): `delayMs` for a retrying step's next attempt. True when one was added. */
  ensureStep(instance: { _id: string; flowId: string; messageId: string }, stepId: string, delayMs = 0): Promise<boolean> {
    const queue = this.queues.get(instance.flowId);
    if (!queue) return Promise.resolve(false);
    const data: FlowJobData = { messageId: instance.messageId, instanceId: instance._id, stepId };
    return ensureJob(queue, 'step', stepJobId(instance._id, stepId), data, delayMs);
  }

  /** Makes sure the instance's compensation run has a job (after an abort; the relay too). */
  ensureUndo(instance: { _id: string; flowId: string; messageId: string }, delayMs = 0): Promise<boolean> {
    const queue = this.queues.get(instance.flowId);
    if (!queue) return Promise.resolve(false);
    return ensureJob(queue, 'undo', undoJobId(instance._id), { messageId: instance.messageId, instanceId: instance._id }, delayMs);
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}
