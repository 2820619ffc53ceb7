import type { Queue } from 'bullmq';
import type { ChannelDefinition } from './channel.ts';
import { SwitchboardError, type ErrorCode } from './errors.ts';
import { newMessageId } from './ids.ts';
import type { Logger } from './log.ts';
import { deliveryJobId, JOB_OPTIONS, type DeliveryJobData } from './queue/queues.ts';
import { eventsFor, planStoredMessage } from './routing.ts';
import type { MongoStore } from './store/mongo-store.ts';
import type { CanonicalEvent, ReplayRecord } from './store/message-record.ts';
import { MessageStatus } from './store/states.ts';
import type { Transform } from '../transforms/dsl/define-transform.ts';

export interface ReplayRequest {
  /** One message or a selection; or a filter. */
  messageIds?: string[];
  filter?: { channel?: string; destination?: string; errorCode?: ErrorCode; from?: string; to?: string };
  reason: string;
  requestedBy: string;
  dryRun: boolean;
}

export interface ReplayChange {
  messageId: string;
  destinationId: string;
  transformVersions: { before: string[]; after: string[] };
  /** Leaf paths of the events that the current transforms would send differently (`[n].path`). */
  diff: { path: string; before: unknown; after: unknown }[];
}

export interface ReplayResult {
  replayId: string;
  dryRun: boolean;
  /** Dead deliveries selected (and, unless a dry run, set back to pending and queued). */
  deliveries: number;
  /** Messages whose current transforms refuse them: not replayed; re-route them after a fix. */
  refused: { messageId: string; reason: string }[];
  /** The first 100 (message, destination) pairs, with what would change. */
  changes: ReplayChange[];
}

/** Replay jobs queue behind live ones (BullMQ serves jobs without a priority first). */
export const REPLAY_PRIORITY = 10;
const MAX_SELECTION = 10_000;

/**
 * Replays dead deliveries: selects them (ids or a filter on channel, destination, error code, time),
 * re-runs the channel's current transforms, and either shows the difference from what was sent
 * before (dry run) or saves the new events, sets the deliveries back to pending and queues them at
 * a lower priority than live traffic. Every replay, dry or not, is recorded with who and why.
 */
export class Replayer {
  constructor(
    private readonly o: {
      store: MongoStore;
      channels: ReadonlyMap<string, ChannelDefinition>;
      transforms: ReadonlyMap<string, Transform>;
      deliveryQueues: ReadonlyMap<string, Queue<DeliveryJobData>>;
      log: Logger;
    },
  ) {}

  async replay(req: ReplayRequest): Promise<ReplayResult> {
    if (!req.reason.trim()) throw new SwitchboardError('BAD_REQUEST', 'a reason is required');
    if (!req.messageIds?.length && !req.filter) throw new SwitchboardError('BAD_REQUEST', 'name messageIds or a filter');
    const replayId = newMessageId();
    const f = req.filter ?? {};
    const messages = await this.o.store.findWithDeadDeliveries({
      limit: MAX_SELECTION,
      ...(req.messageIds?.length ? { ids: req.messageIds } : {}),
      ...(f.channel ? { channelId: f.channel } : {}),
      ...(f.from ? { from: new Date(f.from) } : {}),
      ...(f.to ? { to: new Date(f.to) } : {}),
    });
    const result: ReplayResult = { replayId, dryRun: req.dryRun, deliveries: 0, refused: [], changes: [] };
    const record: ReplayRecord = { _id: replayId, at: new Date(), requestedBy: req.requestedBy, reason: req.reason, dryRun: req.dryRun, selection: { ...(req.messageIds ? { messageIds: req.messageIds } : {}), ...f }, deliveries: [] };
    for (const message of messages) {
      const dead = Object.values(message.deliveries).filter((d) => d.status === 'dead' && (!f.destination || d.destinationId === f.destination) && (!f.errorCode || d.lastError?.code === f.errorCode));
      const channel = this.o.channels.get(message.channelId);
      if (dead.length === 0 || !channel) continue;
      const plan = planStoredMessage({ message, channel, transforms: this.o.transforms });
      if (plan.status === MessageStatus.errored) {
        result.refused.push({ messageId: message._id, reason: plan.error.message });
        continue;
      }
      for (const d of dead) {
        const models = channel.destinations.find((x) => x.id === d.destinationId)?.models ?? [];
        const before = eventsFor(message, models);
        const after = plan.events.filter((e) => models.includes(e.model));
        if (result.changes.length < 100) result.changes.push({ messageId: message._id, destinationId: d.destinationId, transformVersions: { before: versions(before), after: versions(after) }, diff: diffEvents(before, after) });
        result.deliveries++;
      }
      if (req.dryRun) continue;
      const reset = await this.o.store.resetForReplay(message._id, { destinationIds: dead.map((d) => d.destinationId), events: plan.events, replayId });
      for (const destinationId of reset) {
        record.deliveries.push({ messageId: message._id, destinationId, transformVersions: versions(plan.events) });
        await this.o.deliveryQueues.get(destinationId)?.add('deliver', { messageId: message._id, destinationId }, { ...JOB_OPTIONS, jobId: deliveryJobId(message._id, destinationId), priority: REPLAY_PRIORITY });
      }
    }
    await this.o.store.insertReplay(record);
    this.o.log.info('replay', { replayId, dryRun: req.dryRun, deliveries: result.deliveries, refused: result.refused.length });
    return result;
  }
}

const versions = (events: CanonicalEvent[]) => [...new Set(events.map((e) => `${e.transformId}@${e.transformVersion}`))];

/** Leaf-by-leaf difference of two event lists (`[n].field.path`), the `source` envelope left out. */
export function diffEvents(before: CanonicalEvent[], after: CanonicalEvent[]): ReplayChange['diff'] {
  const flat = (events: CanonicalEvent[]) => {
    const out = new Map<string, unknown>();
    const walk = (v: unknown, path: string) => {
      if (v && typeof v === 'object' && !Array.isArray(v)) for (const [k, c] of Object.entries(v)) walk(c, `${path}.${k}`);
      else out.set(path, v);
    };
    events.forEach((e, i) => {
      const { source: _source, ...rest } = e.event;
      walk({ model: e.model, ...rest }, `[${i}]`);
    });
    return out;
  };
  const a = flat(before);
  const b = flat(after);
  const diff: ReplayChange['diff'] = [];
  for (const path of new Set([...a.keys(), ...b.keys()])) {
    if (JSON.stringify(a.get(path)) !== JSON.stringify(b.get(path))) diff.push({ path, before: a.get(path), after: b.get(path) });
  }
  return diff;
}
