import type { ConnectionOptions, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { SwitchboardError, toSwitchboardError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { DeliveryQueues } from './delivery-queues.ts';
import { carrierFields, type TraceCarrier } from '../ops/tracing/trace-carrier.ts';

/**
 * Queue names and job shapes. Jobs carry ids only, never message content (PHI stays in MongoDB).
 * Job ids are deterministic, so adding a job that is already waiting, delayed or active is a no-op:
 * the relay may re-add freely.
 */
export const ROUTE_QUEUE = 'route';
/**
 * One delivery queue per destination of a channel (destination ids are unique within a channel
 * only). Ids are lower-case letters, digits and dashes, so the dot cannot make two names meet.
 */
export const deliveryQueueName = (channelId: string, destinationId: string): string => `deliver.${channelId}.${destinationId}`;

export interface RouteJobData {
  messageId: string;
}
/** A delivery job; its TraceCarrier, while tracing is on, is the span that queued it (intake's `queue deliveries`). */
export interface DeliveryJobData extends TraceCarrier {
  messageId: string;
  destinationId: string;
  /** Queued by intake right after the store: its process may hold the message (DeliveryHandoff). */
  fresh?: true;
}

export const routeJobId = (messageId: string): string => `r-${messageId}`;
export const deliveryJobId = (messageId: string, destinationId: string): string => `d-${messageId}-${destinationId}`;

/**
 * Queues one delivery job per destination of a message, on its channel's queues (ids only in the payload; the job id is
 * deterministic, so queueing twice is harmless). `priority`: BullMQ priority, for work that should
 * wait behind live traffic (replays); default none. `fresh`: only intake, for the message it has
 * just handed over (see DeliveryHandoff); default false. `trace`: the queueing span's carrier, put in
 * each job (ids only); default none.
 */
export async function queueDeliveries(
  queues: DeliveryQueues,
  o: { channelId: string; messageId: string; destinationIds: Iterable<string>; priority?: number; fresh?: boolean; trace?: TraceCarrier },
): Promise<void> {
  const { messageId, priority } = o;
  const trace = carrierFields(o.trace);
  for (const destinationId of o.destinationIds) {
    const data: DeliveryJobData = o.fresh ? { messageId, destinationId, fresh: true, ...trace } : { messageId, destinationId, ...trace };
    await queues
      .get(o.channelId, destinationId)
      ?.add('deliver', data, { ...JOB_OPTIONS, jobId: deliveryJobId(messageId, destinationId), ...(priority ? { priority } : {}) });
  }
}

/** Options shared by every job: completed jobs leave Redis (MongoDB keeps the record). */
export const JOB_OPTIONS = {
  removeOnComplete: true,
  removeOnFail: 1000,
  /** Infrastructure failures (store down mid-job) retry with the worker's backoff, for a long time. */
  attempts: 1000,
  backoff: { type: 'infra' },
} as const;

/**
 * Worker settings: a job held by a worker that died is noticed within about lockDuration +
 * stalledInterval (20 s) and run again; a job may stall many times (each crash) before BullMQ
 * fails it, and the relay replaces failed jobs anyway. Delivery attempts are bounded by the
 * connector's own timeout, well under the lock, which BullMQ renews while a job runs.
 */
export const WORKER_SETTINGS = { lockDuration: 15_000, stalledInterval: 5_000, maxStalledCount: 100 } as const;

/** BullMQ worker options shared by the route and delivery workers (started explicitly with run()). */
export function workerOptions(w: { connection: ConnectionOptions; prefix: string; concurrency: number }) {
  return { ...w, autorun: false, ...WORKER_SETTINGS, settings: { backoffStrategy: infraBackoff } };
}

/** Backoff for infrastructure failures: 1 s doubling to 30 s. Delivery backoff is the destination's own. */
export function infraBackoff(attemptsMade: number): number {
  return Math.min(30_000, 1000 * 2 ** Math.min(attemptsMade, 15));
}

/**
 * A connection for producers (intake, relay): commands fail at once while Redis is unreachable
 * instead of waiting in an offline queue, so intake never hangs on Redis.
 */
export function producerConnection(url: string): Redis {
  return new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false, ...quiet });
}

/** Connection settings for workers: BullMQ requires `maxRetriesPerRequest: null`; they reconnect forever. */
export function workerConnectionOptions(url: string): ConnectionOptions {
  return { url, maxRetriesPerRequest: null, retryStrategy: (times: number) => Math.min(2000, 100 * times) };
}

const quiet = { retryStrategy: (times: number) => Math.min(2000, 100 * times) };

/**
 * Refuses a Redis that may evict keys: with any policy but `noeviction`, Redis under memory
 * pressure silently drops queued jobs. Reads INFO (CONFIG may be disabled on managed Redis).
 */
export async function assertNoEviction(redis: Redis): Promise<void> {
  const info = await redis.info('memory');
  const policy = /maxmemory_policy:(\S+)/.exec(info)?.[1];
  if (policy !== 'noeviction') {
    throw new SwitchboardError(
      'CONFIG_INVALID',
      `Redis maxmemory-policy is '${policy ?? 'unknown'}'; Switchboard needs 'noeviction' ` +
        `(set it in redis.conf or with CONFIG SET maxmemory-policy noeviction), or queued work could be evicted`,
    );
  }
}

/**
 * Logs each failed attempt of a job: an infrastructure error (the store down mid-job; delivery
 * failures of the peer are recorded and retried by the worker itself), which BullMQ retries with the
 * infra backoff (see JOB_OPTIONS). Queue, message id, attempt count and error code with its detail
 * (an error class name): never message content.
 */
export function logFailedJobs<T extends { messageId: string }>(worker: Worker<T>, log: Logger): void {
  worker.on('failed', (job, err) => {
    const e = toSwitchboardError(err);
    log.warn('job failed; retried with backoff', {
      queue: worker.name,
      messageId: job?.data.messageId,
      attemptsMade: job?.attemptsMade,
      code: e.code,
      detail: e.message,
    });
  });
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
