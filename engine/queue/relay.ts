import type { Queue } from 'bullmq';
import type { RedisLease } from './lease.ts';
import { toSwitchboardError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { Store } from '../store/store.ts';
import { isTerminalDelivery, isUnsettledStatus, MessageStatus } from '../store/states.ts';
import type { DeliveryQueues } from './delivery-queues.ts';
import { deliveryJobId, JOB_OPTIONS, routeJobId, type DeliveryJobData, type RouteJobData } from './queues.ts';

export interface RelayOptions {
  store: Store;
  routeQueue: Queue<RouteJobData>;
  deliveryQueues: DeliveryQueues;
  log: Logger;
  /**
   * Rest between passes: at least this, and at least `PASS_REST_FACTOR` times the last pass's
   * duration, so the relay takes at most 1/(1 + PASS_REST_FACTOR) of the time whatever it costs.
   */
  intervalMs: number;
  /** Only messages untouched for this long are checked, so live work is left alone. */
  staleMs: number;
  /** Messages checked per pass. */
  batchSize?: number;
  /**
   * How often a pass also sweeps for messages in flight that lack the `unsettled` flag the pass
   * reads by (stored before the flag existed, or by an older engine version during an upgrade),
   * once per deployment in that time (the last sweep's time is kept in the store). The sweep reads
   * by status: on FerretDB a scan of the whole collection. Default 1 hour.
   */
  sweepMs?: number;
  /**
   * Shared by every process's relay: a pass runs only in the process that holds it, so N worker
   * processes do not read the store and Redis N times over. Default: none, every pass runs.
   */
  lease?: RedisLease;
  /** The flows' part of each pass (FlowRelay): flow instances in flight whose step jobs Redis lost. */
  flows?: { pass(): Promise<number> };
}

/**
 * MongoDB is the truth and Redis a cache of work: the relay finds messages that are stored but not
 * settled and makes sure a job exists for each (a route job for `received`, a delivery job per
 * unsettled destination for `routed`). It covers a crash between store and queue, a flushed or
 * restarted Redis, and jobs that failed for infrastructure reasons. Adding is safe because job ids
 * are deterministic and the workers re-check the store before acting. It also settles the status
 * of routed messages whose deliveries are all done (see DeliveryStateStore.settle).
 */
export class Relay {
  private timer: NodeJS.Timeout | undefined;
  private lastPassMs = 0;
  private running: Promise<boolean> | undefined;
  private stopped = false;
  private lastSweep = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: RelayOptions) {}

  /** Starts the passes (idempotent): the first after `intervalMs`, each next after the rest the last one earned. */
  start(): void {
    if (this.timer || this.stopped) return;
    this.schedule(this.options.intervalMs);
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => {
      void this.tick().then(async (passed) => {
        if (this.stopped) return;
        const rest = this.restMs();
        // The holder keeps the lease through its rest, so no other process's relay passes meanwhile.
        const { lease } = this.options;
        if (lease && passed) await lease.holdFor(rest + lease.ttlMs).catch(() => undefined);
        if (!this.stopped) this.schedule(rest);
      });
    }, ms);
    this.timer.unref();
  }

  /** The rest the last pass earned: `intervalMs`, or PASS_REST_FACTOR times the pass when that is longer. */
  restMs(): number {
    return Math.max(this.options.intervalMs, PASS_REST_FACTOR * this.lastPassMs);
  }

  /**
   * One pass, also used by tests. Never throws: failures are logged and retried next pass.
   * Resolves false when another process's relay holds the lease (this one did nothing).
   */
  tick(): Promise<boolean> {
    this.running ??= (async () => {
      if (this.options.lease && !(await this.options.lease.acquire())) return false;
      const started = performance.now();
      try {
        await this.pass();
      } finally {
        this.lastPassMs = performance.now() - started;
      }
      return true;
    })()
      .catch((err: unknown) => {
        this.options.log.warn('relay pass failed', { code: toSwitchboardError(err).code });
        return true;
      })
      .finally(() => (this.running = undefined));
    return this.running;
  }

  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await this.options.lease?.release().catch(() => undefined);
  }

  private async pass(): Promise<void> {
    const { store, batchSize = 500, sweepMs = 3_600_000 } = this.options;
    if (Date.now() - this.lastSweep >= sweepMs) await this.sweep(batchSize, sweepMs);
    const olderThan = new Date(Date.now() - this.options.staleMs);
    const messages = await store.relay.findUnsettled(olderThan, batchSize);
    let requeued = 0;
    for (const m of messages) {
      if (this.stopped) return;
      if (!isUnsettledStatus(m.status)) {
        // Flagged but settled: only a write that bypassed Store could leave this; repair it.
        await store.relay.syncUnsettled(m._id, m.status);
        continue;
      }
      if (m.status === MessageStatus.received) {
        if (await ensureJob(this.options.routeQueue, 'route', routeJobId(m._id), { messageId: m._id })) requeued++;
        continue;
      }
      if (Object.values(m.deliveries).every((d) => isTerminalDelivery(d.status))) {
        await store.deliveryState.settle(m);
        continue;
      }
      for (const d of Object.values(m.deliveries)) {
        const queue = this.options.deliveryQueues.get(m.channelId, d.destinationId);
        if (!queue || isTerminalDelivery(d.status)) continue;
        if (await ensureJob(queue, 'deliver', deliveryJobId(m._id, d.destinationId), { messageId: m._id, destinationId: d.destinationId }))
          requeued++;
      }
    }
    if (requeued > 0) this.options.log.info('relay re-queued work missing from Redis', { jobs: requeued });
    if (!this.stopped) await this.options.flows?.pass();
  }

  /**
   * Flags messages in flight stored without the `unsettled` flag, unless a relay of any process
   * swept within `sweepMs` (the time is kept in the store). A sweep that finds `batchSize` or more
   * goes on at the next pass.
   */
  private async sweep(batchSize: number, sweepMs: number): Promise<void> {
    const { store, log } = this.options;
    const last = await store.relay.lastSweep();
    if (last && Date.now() - last.getTime() < sweepMs) {
      this.lastSweep = last.getTime();
      return;
    }
    const unflagged = await store.relay.findUnflagged(batchSize);
    for (const m of unflagged) await store.relay.syncUnsettled(m._id, m.status);
    if (unflagged.length > 0)
      log.info('relay flagged messages in flight stored without the unsettled flag', { messages: unflagged.length });
    if (unflagged.length < batchSize) {
      this.lastSweep = Date.now();
      await store.relay.markSwept(new Date(this.lastSweep));
    }
  }
}

/**
 * A pass is followed by a rest of at least this many times its duration. A pass reads up to
 * `batchSize` messages in flight, but FerretDB applies a limit only to an unfiltered query: it
 * reads every message in flight, so with a backlog of 100,000 a pass costs seconds of store CPU.
 * Pacing keeps the relay to 5% of the time, and recovery after a flushed Redis waits at most
 * 19 passes' time, in proportion to the backlog that already delays delivery.
 */
export const PASS_REST_FACTOR = 19;

/**
 * Adds the job unless Redis holds it live (waiting, delayed, active); a failed copy is replaced.
 * `delayMs`: not before then (a flow step's next attempt). True when it added one.
 */
export async function ensureJob<T>(queue: Queue<T>, name: string, jobId: string, data: T, delayMs = 0): Promise<boolean> {
  const existing = await queue.getJob(jobId);
  if (existing) {
    const state = await existing.getState();
    if (state !== 'failed' && state !== 'completed' && state !== 'unknown') return false;
    await existing.remove().catch(() => undefined);
  }
  await (queue as Queue).add(name, data, { ...JOB_OPTIONS, jobId, ...(delayMs > 0 ? { delay: delayMs } : {}) });
  return true;
}
