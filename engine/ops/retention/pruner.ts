import type { AuditLog } from '../../audit/audit-log.ts';
import type { CheckpointSigner } from '../../audit/audit-checkpoint.ts';
import { SwitchboardError, toSwitchboardError } from '../../errors.ts';
import { newMessageId } from '../../ids.ts';
import type { Logger } from '../../log.ts';
import type { RedisLease } from '../../queue/lease.ts';
import { PRUNED_COLLECTIONS } from '../../store/retention.store.ts';
import { RetentionRunState, type RetentionRun } from '../../store/retention-records.ts';
import type { Store } from '../../store/store.ts';
import { ArchiveWriter } from './archive-writer.ts';
import { pruneAuditLog } from './audit-pruner.ts';
import { pruneFlowInstances } from './flow-pruner.ts';
import { pruneHistory } from './history-pruner.ts';
import { Pacer } from './pacer.ts';
import { PruneWalk, type PruneTally } from './prune-run.ts';
import { auditRun, countOf, countRun, fileSummary } from './run-report.ts';
import { horizonsOf, type ChannelRetention, type GlobalRetention } from './retention-rules.ts';

/** The settings a pruner runs by (retention-config.ts). */
export interface PrunerSettings extends GlobalRetention {
  intervalMs: number;
  batch: number;
  pauseMs: number;
  restFactor: number;
  compact: boolean;
  archiveDir?: string | undefined;
  auditDays?: number | undefined;
  flowDays?: number | undefined;
  historyDays?: number | undefined;
}

export interface PrunerOptions {
  store: Store;
  audit: AuditLog;
  log: Logger;
  settings: PrunerSettings;
  /** Each channel's own `retention` block, read at the start of each run (open-retention.ts channelRetentions). */
  channels: () => Promise<ReadonlyMap<string, ChannelRetention | undefined>>;
  /** One pruner at a time per deployment; renewed as the run goes. */
  lease: RedisLease;
  /** Signs the audit log's cut (AUDIT_SIGNING_KEY); required when auditDays is set. */
  signer?: CheckpointSigner | undefined;
  /** How often a started pruner looks whether a run is due or asked for. */
  checkMs: number;
}

type Trigger = RetentionRun['trigger'];

/**
 * Runs pruning in the background (worker processes, open-retention.ts): each `checkMs` it reads
 * the schedule (one document by `_id`); when a run was asked for (API) or PRUNE_INTERVAL_MS has
 * passed since the last one started (the first, one interval after the deployment's first start:
 * an upgrade never starts deleting at once), and it takes the lease, it runs one:
 * messages (PruneWalk), then the audit log (pruneAuditLog), then the archive's manifest, then
 * `compact`. Each run is a record in `retention_runs` (counts removed by channel and status, what
 * was kept, archived files, audit entries cut, bytes reclaimed, duration), an audit entry, and
 * metrics. A run cut short by a crash is marked interrupted by the next, which finishes its last
 * deletion. `close()` stops a run at its next batch or minute (what is done stays done).
 */
export class Pruner {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<RetentionRun | undefined> | undefined;
  private stopped = false;
  private started = false;

  constructor(private readonly o: PrunerOptions) {}

  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.schedule(this.o.checkMs);
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick().finally(() => !this.stopped && this.schedule(this.o.checkMs)), ms);
    this.timer.unref();
  }

  /**
   * Asks for a run (POST /api/retention/runs): stored as requested and taken by the next pruner
   * tick of any worker process (at once in this one, if it prunes). Returns the record.
   */
  async request(trigger: Trigger, by: string): Promise<RetentionRun> {
    const run = await requestPruningRun(this.o.store, trigger, by);
    if (this.started && !this.running) this.schedule(0);
    return run;
  }

  /**
   * Runs now in this process (the command line): CONFLICT when another process holds the lease.
   * Resolves with the finished record.
   */
  async runNow(trigger: Trigger, by: string): Promise<RetentionRun> {
    if (!(await this.o.lease.acquire())) throw new SwitchboardError('CONFLICT', 'another process is pruning; try again later');
    const run = newRun(trigger, by, RetentionRunState.running);
    await this.o.store.retention.insertRun(run);
    return this.execute(run);
  }

  /** One look at the schedule; never throws (a failure is logged and retried at the next tick). */
  tick(): Promise<RetentionRun | undefined> {
    this.running ??= this.due()
      .catch((err: unknown) => {
        this.o.log.warn('pruning failed', { code: toSwitchboardError(err).code });
        return undefined;
      })
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async due(): Promise<RetentionRun | undefined> {
    const { store, settings, lease } = this.o;
    const schedule = await store.retention.schedule();
    const requested = schedule.requested?.[0];
    // The first start of a deployment only sets the clock: the first scheduled run comes one interval later.
    if (!requested && !schedule.lastStartedAt) return void (await store.retention.beginRun(undefined, new Date()));
    const due = schedule.lastStartedAt && Date.now() - schedule.lastStartedAt.getTime() >= settings.intervalMs;
    if (!requested && !due) return undefined;
    if (!(await lease.acquire())) return undefined;
    if (requested) {
      const run = await store.retention.getRun(requested);
      if (run?.state === RetentionRunState.requested) return this.execute(run);
      await store.retention.dropRequest(requested);
    } else if (await this.hasWork()) {
      const run = newRun('schedule', 'system', RetentionRunState.running);
      await store.retention.insertRun(run);
      return this.execute(run);
    } else await store.retention.beginRun(undefined, new Date());
    await lease.release();
    return undefined;
  }

  /** Whether any rule prunes, the audit log, flow instances or history are kept by days, or messages are held (a run has work). */
  private async hasWork(): Promise<boolean> {
    const { auditDays, flowDays, historyDays } = this.o.settings;
    if (auditDays || flowDays || historyDays) return true;
    if (horizonsOf(await this.o.channels(), this.o.settings).length > 0) return true;
    return (await this.o.store.retention.held()).length > 0;
  }

  private async execute(run: RetentionRun): Promise<RetentionRun> {
    const { store, settings } = this.o;
    const startedAt = new Date();
    const t0 = performance.now();
    await this.recover(run._id);
    await store.retention.beginRun(run._id, startedAt);
    await store.retention.updateRun(run._id, { state: RetentionRunState.running, startedAt, heartbeatAt: startedAt });
    const pacer = new Pacer({ pauseMs: settings.pauseMs, restFactor: settings.restFactor, stopped: () => this.stopped });
    const archive = settings.archiveDir ? new ArchiveWriter({ dir: settings.archiveDir, runId: run._id }) : undefined;
    const result: Partial<RetentionRun> = {};
    let failure: unknown;
    try {
      const tally = await this.walk(run._id, startedAt.getTime(), pacer, archive);
      Object.assign(result, { removed: tally.removed, kept: tally.kept, daysRead: tally.daysRead });
      await this.records(run, startedAt.getTime(), pacer, result);
    } catch (err) {
      failure = err;
    }
    try {
      const written = await archive?.finish();
      if (archive) result.archive = { ...(written ? { manifest: written.file } : {}), files: archive.entries().map(fileSummary) };
    } catch (err) {
      failure ??= err;
    }
    const removedAny = countOf(result.removed) + (result.audit?.removed ?? 0) + (result.flows?.removed ?? 0) > 0;
    if (settings.compact && !failure && removedAny) result.reclaimed = await this.reclaim();
    return this.finish(run, { ...result, restedMs: pacer.restedMs, durationMs: performance.now() - t0 }, failure);
  }

  /** The parts after the messages, each by its own rule: the audit log, flow instances, the engine's history. */
  private async records(run: RetentionRun, now: number, pacer: Pacer, result: Partial<RetentionRun>): Promise<void> {
    const { store, settings } = this.o;
    const by = { batch: settings.batch, pacer, now, stopped: () => this.stopped, heartbeat: () => this.heartbeat(run._id) };
    if (settings.auditDays && this.o.signer && !this.stopped) {
      const cut = { actor: run.requestedBy, runId: run._id, batch: settings.batch, pacer, now };
      result.audit = await pruneAuditLog({ store, audit: this.o.audit, signer: this.o.signer, days: settings.auditDays, ...cut });
    }
    if (settings.flowDays && !this.stopped) result.flows = { removed: await pruneFlowInstances({ store, days: settings.flowDays, ...by }) };
    if (settings.historyDays && !this.stopped)
      result.history = { removed: await pruneHistory({ store, days: settings.historyDays, ...by }) };
  }

  /**
   * The messages' part of a run: once per deployment, `receivedDay` given to the states stored
   * before it existed; then the walk (PruneWalk) with this run's lease, heartbeat and record.
   */
  private async walk(runId: string, now: number, pacer: Pacer, archive: ArchiveWriter | undefined): Promise<PruneTally> {
    const { store, settings } = this.o;
    if (!(await store.retention.schedule()).daysBackfilledAt) {
      const given = await store.retention.backfillDays(settings.batch, () => pacer.rest(true));
      await store.retention.markDaysBackfilled(new Date());
      if (given > 0) this.o.log.info('pruning gave older messages their received day', { messages: given });
    }
    return new PruneWalk({
      store,
      channels: await this.o.channels(),
      global: settings,
      now,
      batch: settings.batch,
      pacer,
      archive,
      stopped: () => this.stopped,
      deleting: (ids) => store.retention.updateRun(runId, { deleting: ids ? [...ids] : [] }),
      heartbeat: () => this.heartbeat(runId),
    }).run();
  }

  /** Renews the lease and the run's heartbeat; false when the lease was lost (another process prunes now). */
  private async heartbeat(runId: string): Promise<boolean> {
    const held = await this.o.lease.acquire().catch(() => false);
    if (held) await this.o.store.retention.updateRun(runId, { heartbeatAt: new Date() });
    return held;
  }

  /** `compact` after a run; a refusal (a user without the compact privilege) is logged, and the run stays done. */
  private async reclaim(): Promise<Record<string, number> | undefined> {
    try {
      return await this.o.store.retention.compact(Object.values(PRUNED_COLLECTIONS));
    } catch (err) {
      const cause = (err as { cause?: { codeName?: unknown } }).cause?.codeName;
      this.o.log.warn('compact after pruning failed', {
        code: toSwitchboardError(err).code,
        ...(typeof cause === 'string' ? { cause } : {}),
      });
      return undefined;
    }
  }

  /** A run the schedule still names as current died with its process: marked interrupted, its last deletion finished. */
  private async recover(except: string): Promise<void> {
    const { store } = this.o;
    const { current } = await store.retention.schedule();
    if (!current || current === except) return;
    const dead = await store.retention.getRun(current);
    if (dead?.deleting?.length) await store.retention.finishDeleting(dead.deleting);
    if (dead?.state === RetentionRunState.running)
      await store.retention.updateRun(current, { state: RetentionRunState.interrupted, deleting: [] });
    await store.retention.endRun(current);
  }

  /** Stores the outcome, counts it, audits it, logs it, and lets the lease go. */
  private async finish(run: RetentionRun, result: Partial<RetentionRun>, failure: unknown): Promise<RetentionRun> {
    const { store, log } = this.o;
    const finishedAt = new Date();
    const state = failure ? RetentionRunState.failed : RetentionRunState.done;
    const done: RetentionRun = { ...run, ...result, state, finishedAt, ...(failure ? { error: toSwitchboardError(failure).code } : {}) };
    countRun(done);
    const { _id, ...rest } = done;
    await store.retention.updateRun(_id, rest).catch(() => undefined);
    await store.retention.endRun(_id).catch(() => undefined);
    await auditRun(this.o.audit, done).catch(() => undefined);
    const fields = { run: _id, removed: countOf(done.removed), durationMs: Math.round(done.durationMs ?? 0) };
    // The driver's code name (NotImplemented, …) says more than STORE_UNAVAILABLE; never a message text.
    const cause = (failure as { cause?: { codeName?: unknown } } | undefined)?.cause?.codeName;
    if (failure) log.warn('pruning run failed', { ...fields, code: done.error, ...(typeof cause === 'string' ? { cause } : {}) });
    else log.info('pruning run done', fields);
    await this.o.lease.release().catch(() => undefined);
    return done;
  }

  /** Stops: no new run; a run in progress stops at its next batch or minute. */
  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}

/**
 * Stores a run as requested and asks for it in the schedule, where the next pruner tick of any
 * worker process takes it (Pruner.request; benchmarks, which have no API session).
 */
export async function requestPruningRun(store: Store, trigger: Trigger, by: string): Promise<RetentionRun> {
  const run = newRun(trigger, by, RetentionRunState.requested);
  await store.retention.insertRun(run);
  await store.retention.requestRun(run._id);
  return run;
}

function newRun(trigger: Trigger, by: string, state: RetentionRun['state']): RetentionRun {
  const at = new Date();
  return {
    _id: newMessageId(),
    state,
    trigger,
    requestedBy: by,
    requestedAt: at,
    removed: {},
    kept: { unsettled: 0, restored: 0 },
    daysRead: 0,
    restedMs: 0,
  };
}
