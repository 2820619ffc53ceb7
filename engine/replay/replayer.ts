import type { ChannelDefinition } from '../channel.ts';
import { SwitchboardError, toSwitchboardError } from '../errors.ts';
import { newMessageId } from '../ids.ts';
import type { Logger } from '../log.ts';
import { engineMetrics } from '../metrics/engine-metrics.ts';
import type { DeliveryQueues } from '../queue/delivery-queues.ts';
import { queueDeliveries } from '../queue/queues.ts';
import { planStoredMessage } from '../routing.ts';
import type { Store } from '../store/store.ts';
import { eventsFor, transformVersions, type MessageRecord, type ReplayRecord, type RoutePlan } from '../store/message-record.ts';
import { MessageStatus, ReplayableStatus, ReplayState } from '../store/states.ts';
import type { Transform } from '../../transforms/dsl/define-transform.ts';
import { diffEvents, type ReplayChange } from './replay-diff.ts';
import type { DryRunResult, ReplayRequest, ReplayStarted } from './replay-types.ts';

/** Replay jobs queue behind live ones (BullMQ serves jobs without a priority first). */
export const REPLAY_PRIORITY = 10;
/** Messages one replay may select. */
const MAX_SELECTION = 10_000;
/** Messages read, re-transformed and reset per step; progress and heartbeat are saved after each. */
const CHUNK = 50;
const MAX_LISTED = 100;

/** The deliveries of one message a replay takes. */
interface Target {
  messageId: string;
  destinationIds: string[];
}

type Planned =
  { target: Target; message: MessageRecord; plan: Extract<RoutePlan, { events: unknown }> } | { target: Target; refused: string };

export interface ReplayerOptions {
  store: Store;
  channels: ReadonlyMap<string, ChannelDefinition>;
  transforms: ReadonlyMap<string, Transform>;
  deliveryQueues: DeliveryQueues;
  log: Logger;
  /** How often this process looks for replays whose process died. */
  resumeIntervalMs: number;
  /** A running replay whose heartbeat is older than this is taken over. */
  staleMs: number;
}

/**
 * Replays deliveries: selects them (message ids and/or a filter on channel, destination, error code,
 * time and status: `dead`, or `delivered` to send again on purpose), re-runs the channel's current
 * transforms, and either shows what would be sent differently (dry run, answered at once) or, in
 * the background, saves the new events, sets the deliveries back to pending and queues them behind
 * live traffic. A dead delivery keeps its idempotency key; a delivered one is sent under a new key
 * `<messageId>:<destinationId>:<replayId>`, so the peer takes it as a new document.
 *
 * Every replay is a record in `replays` with who, why, the selection and its progress. A real replay
 * renews a heartbeat after each step; when its process dies, any process's `start()` timer takes it
 * over after `staleMs` and goes on where it stopped (deliveries already carrying this replay's id
 * are not taken twice, and messages received after the request are never taken).
 */
export class Replayer {
  /** This process's runs, by replay id. */
  private readonly runs = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private resuming: Promise<void> | undefined;

  constructor(private readonly o: ReplayerOptions) {}

  /** Starts looking for replays to resume (idempotent). */
  start(): void {
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => void this.resumeStale(), this.o.resumeIntervalMs);
    this.timer.unref();
  }

  /** Stops taking new steps; waits up to `graceMs` for runs to finish theirs (an unfinished run is resumed later). */
  async close(graceMs: number): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.runs.values(), this.resuming]),
      new Promise((r) => (timeout = setTimeout(r, graceMs))),
    ]);
    clearTimeout(timeout);
  }

  /** BAD_REQUEST without a reason or a selection; CONFLICT while the engine stops; STORE_UNAVAILABLE when the store does not answer. */
  async request(req: ReplayRequest): Promise<DryRunResult | ReplayStarted> {
    if (!req.reason.trim()) throw new SwitchboardError('BAD_REQUEST', 'a reason is required');
    const { messageIds, ...filter } = req.selection;
    if (!messageIds?.length && Object.keys(filter).length === 0) throw new SwitchboardError('BAD_REQUEST', 'name messageIds or a filter');
    if (this.stopped) throw new SwitchboardError('CONFLICT', 'the engine is stopping');
    const at = new Date();
    const record: ReplayRecord = {
      _id: newMessageId(),
      at,
      requestedBy: req.requestedBy,
      reason: req.reason,
      dryRun: req.dryRun,
      selection: req.selection,
      state: req.dryRun ? ReplayState.done : ReplayState.running,
      progress: { selected: 0, replayed: 0, refused: 0, skipped: 0 },
      heartbeatAt: at,
      deliveries: [],
      refused: [],
    };
    const targets = await this.select(record);
    record.progress.selected = targets.reduce((n, t) => n + t.destinationIds.length, 0);
    if (req.dryRun) return this.dryRun(record, targets);
    await this.o.store.replays.insert(record);
    this.track(record, targets);
    this.o.log.info('replay started', { replayId: record._id, deliveries: record.progress.selected });
    return { replayId: record._id, dryRun: false, state: ReplayState.running, deliveries: record.progress.selected };
  }

  /** Takes over replays whose process died (one pass; also called by tests). Never throws. */
  resumeStale(): Promise<void> {
    this.resuming ??= (async () => {
      while (!this.stopped) {
        const record = await this.o.store.replays.claimStale(new Date(Date.now() - this.o.staleMs), [...this.runs.keys()]);
        if (!record) return;
        this.o.log.info('replay resumed', { replayId: record._id, replayed: record.progress.replayed, selected: record.progress.selected });
        const targets = await this.select(record);
        // Refusals are counted again over what is left (they were never marked, so they are selected again).
        record.progress = { ...record.progress, refused: 0 };
        record.refused = [];
        this.track(record, targets);
      }
    })()
      .catch((err: unknown) => void this.o.log.warn('replay resume failed', { code: toSwitchboardError(err).code }))
      .finally(() => (this.resuming = undefined));
    return this.resuming;
  }

  /** Runs a replay in the background, its heartbeat renewed meanwhile (a third of `staleMs`) so no process takes it over. */
  private track(record: ReplayRecord, targets: Target[]): void {
    const beat = setInterval(() => void this.o.store.replays.touch(record._id).catch(() => undefined), Math.max(50, this.o.staleMs / 3));
    beat.unref();
    const run = this.run(record, targets).finally(() => {
      clearInterval(beat);
      this.runs.delete(record._id);
    });
    this.runs.set(record._id, run);
  }

  /** The deliveries a replay takes: in the selection's status, not yet taken by this replay, of messages received before it. */
  private async select(record: ReplayRecord): Promise<Target[]> {
    const s = record.selection;
    const status = s.status ?? ReplayableStatus.dead;
    const to = s.to && new Date(s.to) < record.at ? new Date(s.to) : record.at;
    const messages = await this.o.store.messages.findWithDeliveriesIn({
      status,
      order: 1,
      limit: MAX_SELECTION,
      to,
      ...(s.messageIds?.length ? { ids: s.messageIds } : {}),
      ...(s.channel ? { channelId: s.channel } : {}),
      ...(s.from ? { from: new Date(s.from) } : {}),
    });
    return messages
      .map((m) => ({
        messageId: m._id,
        destinationIds: Object.values(m.deliveries)
          .filter(
            (d) =>
              d.status === status &&
              d.replayId !== record._id &&
              (!s.destination || d.destinationId === s.destination) &&
              (!s.errorCode || d.lastError?.code === s.errorCode),
          )
          .map((d) => d.destinationId),
      }))
      .filter((t) => t.destinationIds.length > 0);
  }

  /** The targets in steps of CHUNK, each message read whole and run through its channel's current transforms. */
  private async *planned(targets: Target[]): AsyncGenerator<Planned[]> {
    for (let i = 0; i < targets.length && !this.stopped; i += CHUNK) {
      const chunk = targets.slice(i, i + CHUNK);
      const messages = new Map((await this.o.store.messages.getMany(chunk.map((t) => t.messageId))).map((m) => [m._id, m]));
      yield chunk.map((target): Planned => {
        const message = messages.get(target.messageId);
        const channel = message && this.o.channels.get(message.channelId);
        if (!message || !channel) return { target, refused: 'its channel is not deployed' };
        const plan = planStoredMessage({ message, channel, transforms: this.o.transforms });
        if (plan.status === MessageStatus.errored) return { target, refused: plan.error.message };
        if (plan.status === MessageStatus.filtered) return { target, refused: `the current channel filters it: ${plan.reason}` };
        return { target, message, plan };
      });
    }
  }

  private async dryRun(record: ReplayRecord, targets: Target[]): Promise<DryRunResult> {
    const changes: ReplayChange[] = [];
    for await (const chunk of this.planned(targets)) {
      for (const p of chunk) {
        if ('refused' in p) {
          refuse(record, p);
          continue;
        }
        const channel = this.o.channels.get(p.message.channelId)!;
        for (const destinationId of p.target.destinationIds) {
          if (changes.length >= MAX_LISTED) break;
          const models = channel.destinations.find((x) => x.id === destinationId)?.models ?? [];
          const before = eventsFor(p.message, models);
          const after = p.plan.events.filter((e) => models.includes(e.model));
          changes.push({
            messageId: p.message._id,
            destinationId,
            transformVersions: { before: transformVersions(before), after: transformVersions(after) },
            diff: diffEvents(before, after),
          });
        }
      }
    }
    record.finishedAt = new Date();
    await this.o.store.replays.insert(record);
    this.o.log.info('replay dry run', { replayId: record._id, deliveries: record.progress.selected, refused: record.progress.refused });
    return {
      replayId: record._id,
      dryRun: true,
      state: ReplayState.done,
      deliveries: record.progress.selected,
      refused: record.refused,
      changes,
    };
  }

  /**
   * Resets and queues the targets step by step, saving progress after each; leaves the record
   * running if stopped or failing. When done, what was replayed is read back from the messages
   * (exact whatever happened to earlier runs of the same replay), and what was selected but neither
   * replayed nor refused is counted as skipped (it changed meanwhile).
   */
  private async run(record: ReplayRecord, targets: Target[]): Promise<void> {
    const { store, deliveryQueues, log } = this.o;
    const status = record.selection.status ?? ReplayableStatus.dead;
    try {
      for await (const chunk of this.planned(targets)) {
        for (const p of chunk) {
          if ('refused' in p) {
            refuse(record, p);
            continue;
          }
          const id = p.message._id;
          const keys =
            status === ReplayableStatus.delivered
              ? Object.fromEntries(p.target.destinationIds.map((d) => [d, `${id}:${d}:${record._id}`]))
              : undefined;
          const reset = await store.replays.resetDeliveries(p.message, {
            from: status,
            destinationIds: p.target.destinationIds,
            events: p.plan.events,
            replayId: record._id,
            ...(keys ? { keys } : {}),
          });
          record.progress.skipped += p.target.destinationIds.length - reset.length;
          await queueDeliveries(deliveryQueues, {
            channelId: p.message.channelId,
            messageId: id,
            destinationIds: reset,
            priority: REPLAY_PRIORITY,
          });
          record.progress.replayed += reset.length;
        }
        await store.replays.update(record._id, { progress: record.progress, refused: record.refused });
      }
      if (this.stopped) return;
      const deliveries = await store.replays.findReplayed(record._id);
      const { selected, refused } = record.progress;
      record.progress = { selected, replayed: deliveries.length, refused, skipped: Math.max(0, selected - deliveries.length - refused) };
      await store.replays.update(record._id, { progress: record.progress, refused: record.refused, done: { deliveries } });
      if (refused > 0) engineMetrics.replaysFailed.inc([]);
      log.info('replay done', { replayId: record._id, ...record.progress });
    } catch (err) {
      // Left running: its heartbeat goes stale and a process takes it over (resumeStale).
      log.warn('replay interrupted', { replayId: record._id, code: toSwitchboardError(err).code });
    }
  }
}

/** Counts a refused target, and lists it with its reason among the first MAX_LISTED. */
function refuse(record: ReplayRecord, p: { target: Target; refused: string }): void {
  record.progress.refused += p.target.destinationIds.length;
  if (record.refused.length < MAX_LISTED) record.refused.push({ messageId: p.target.messageId, reason: p.refused });
}
