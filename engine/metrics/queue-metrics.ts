import { SwitchboardError } from '../errors.ts';
import type { DeliveryQueueEntry } from '../queue/delivery-queues.ts';

/** The job states reported per destination queue. `prioritized` holds replays (queued behind live traffic). */
export const QUEUE_STATES = ['waiting', 'prioritized', 'delayed', 'active', 'failed'] as const;
export type QueueState = (typeof QUEUE_STATES)[number];

export interface QueueDepth {
  channelId: string;
  destinationId: string;
  jobs: Record<QueueState, number>;
  /** Seconds since the oldest job waiting to run (waiting or prioritized) was queued; null when none waits. */
  oldestWaitingSeconds: number | null;
}

/**
 * Depth of each channel destination's delivery queue (BullMQ `getJobCounts`) and the age of its oldest
 * waiting job: the head of the waiting list and of the prioritized set (`getWaiting(0, 0)`,
 * `getPrioritized(0, 0)`, oldest first; prioritized jobs all share the replay priority, so their
 * head is their oldest). Three Redis calls per destination. QUEUE_UNAVAILABLE when Redis fails.
 */
export async function queueDepths(queues: readonly DeliveryQueueEntry[], now = Date.now()): Promise<QueueDepth[]> {
  try {
    const depths = await Promise.all(
      queues.map(async ({ channelId, destinationId, queue }) => {
        const [counts, waiting, prioritized] = await Promise.all([
          queue.getJobCounts(...QUEUE_STATES),
          queue.getWaiting(0, 0),
          queue.getPrioritized(0, 0),
        ]);
        const jobs = Object.fromEntries(QUEUE_STATES.map((s) => [s, counts[s] ?? 0])) as Record<QueueState, number>;
        const heads = [...waiting, ...prioritized].map((j) => j.timestamp);
        const oldestWaitingSeconds = heads.length === 0 ? null : Math.max(0, (now - Math.min(...heads)) / 1000);
        return { channelId, destinationId, jobs, oldestWaitingSeconds };
      }),
    );
    return depths.sort((a, b) => a.channelId.localeCompare(b.channelId) || a.destinationId.localeCompare(b.destinationId));
  } catch (err) {
    throw new SwitchboardError('QUEUE_UNAVAILABLE', err instanceof Error ? err.name : 'queue failure', { cause: err });
  }
}
