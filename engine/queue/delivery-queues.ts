import type { Queue } from 'bullmq';
import type { DeliveryJobData } from './queues.ts';

/** A delivery queue's owner: one destination of one channel. Destination ids are unique within a channel only. */
export interface DeliveryTarget {
  channelId: string;
  destinationId: string;
}

/** What `entries()` lists: a destination of a channel and its queue. */
export interface DeliveryQueueEntry extends DeliveryTarget {
  queue: Queue<DeliveryJobData>;
}

/**
 * The engine's delivery queues, by channel and destination (one BullMQ queue each, named by
 * deliveryQueueName). Two channels may each have a destination `erp`: each has its own queue and
 * worker, so a message is delivered under its own channel's destination settings and data policy.
 * ChannelRuntime adds and removes queues on deploy and undeploy; intake, the route worker, the
 * relay, replay and the metrics read them at each use.
 */
export class DeliveryQueues {
  private readonly byKey = new Map<string, DeliveryQueueEntry>();

  /** Starts with `entries` (tools and tests that open queues themselves); the engine starts empty. */
  constructor(entries: Iterable<DeliveryQueueEntry> = []) {
    for (const { queue, ...target } of entries) this.set(target, queue);
  }

  get(channelId: string, destinationId: string): Queue<DeliveryJobData> | undefined {
    return this.byKey.get(key(channelId, destinationId))?.queue;
  }

  set(target: DeliveryTarget, queue: Queue<DeliveryJobData>): void {
    this.byKey.set(key(target.channelId, target.destinationId), { ...target, queue });
  }

  /** Forgets the queue if it is still `queue` (a redeploy may have replaced it meanwhile). */
  delete(target: DeliveryTarget, queue: Queue<DeliveryJobData>): void {
    const k = key(target.channelId, target.destinationId);
    if (this.byKey.get(k)?.queue === queue) this.byKey.delete(k);
  }

  /** Every queue with its owner, in no particular order. */
  entries(): DeliveryQueueEntry[] {
    return [...this.byKey.values()];
  }

  /** The queues of the given channels only. */
  of(channelIds: Iterable<string>): DeliveryQueueEntry[] {
    const wanted = new Set(channelIds);
    return this.entries().filter((e) => wanted.has(e.channelId));
  }
}

/** Ids are lower-case letters, digits and dashes (channel-schema.ts), so a slash cannot collide. */
const key = (channelId: string, destinationId: string): string => `${channelId}/${destinationId}`;
