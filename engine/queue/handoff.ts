import type { DeliverableRecord } from '../store/message-record.ts';
import type { DeliveryQueues } from './delivery-queues.ts';
import { queueDeliveries, type DeliveryJobData } from './queues.ts';
import type { TraceCarrier } from '../ops/tracing/trace-carrier.ts';

export interface DeliveryHandoffOptions {
  /** Most messages held at once; beyond it the oldest is dropped. Default 1,024 (a few MiB). */
  capacity?: number;
  /** Age after which a message is no longer handed over. Default 10,000 ms. */
  maxAgeMs?: number;
  /** Milliseconds now; default `Date.now`. */
  now?: () => number;
}

interface Entry {
  at: number;
  /** Destinations that have not taken the message yet. */
  open: Set<string>;
  read: () => DeliverableRecord;
  record?: DeliverableRecord;
}

/**
 * Hands a message just stored by intake to the delivery workers of the same process (role `all`),
 * so that the first run of each of its deliveries does not read back from the store what intake
 * has just written there. On FerretDB that read-back was 7–30% of the machine's CPU per delivered
 * message (docs/performance.md).
 *
 * The contract, which keeps a stale copy from ever being used:
 * - Intake offers a message only after the store confirmed its insert, and only for the jobs it
 *   queues itself right after, which it marks `fresh` (DeliveryJobData). Jobs queued by anything
 *   else (the relay, a replay, the route worker) are not marked and always read the store.
 * - Each destination takes the message once, on the first run of its fresh job in this process.
 *   Every later run (a retry, a job held for ordering, a stalled job run again) reads the store.
 * - A message is held at most `maxAgeMs` and among the `capacity` newest; past either, its
 *   deliveries read the store, as they do in a worker of another process (which never has it).
 * What is handed over is what `getForDelivery` would return at that instant: the delivery's own
 * state is as stored, and the other deliveries' states may be older (a delivery settles the
 * message with a conditional update, see `DeliveryStateStore.update`, so an older view only costs
 * the fallback read there). Callers must not modify it: destinations share it.
 */
export class DeliveryHandoff {
  private readonly entries = new Map<string, Entry>();
  private readonly capacity: number;
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(o: DeliveryHandoffOptions = {}) {
    this.capacity = o.capacity ?? 1_024;
    this.maxAgeMs = o.maxAgeMs ?? 10_000;
    this.now = o.now ?? Date.now;
  }

  /** Messages held now. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Holds a stored message for its destinations. `read` returns it as a delivery reads it; it is
   * called at most once, by the first destination that takes it.
   */
  offer(o: { messageId: string; destinationIds: readonly string[]; read: () => DeliverableRecord }): void {
    if (o.destinationIds.length === 0 || this.capacity === 0) return;
    const at = this.now();
    this.expire(at);
    while (this.entries.size >= this.capacity) this.drop();
    this.entries.set(o.messageId, { at, open: new Set(o.destinationIds), read: o.read });
  }

  /** The message for one destination's fresh job, once; undefined when it must read the store. */
  take(messageId: string, destinationId: string): DeliverableRecord | undefined {
    this.expire(this.now());
    const entry = this.entries.get(messageId);
    if (!entry?.open.delete(destinationId)) return undefined;
    if (entry.open.size === 0) this.entries.delete(messageId);
    entry.record ??= entry.read();
    return entry.record;
  }

  /** Drops what is past its age: the oldest first (a Map keeps insertion order). */
  private expire(now: number): void {
    for (const [id, entry] of this.entries) {
      if (now - entry.at < this.maxAgeMs) return;
      this.entries.delete(id);
    }
  }

  private drop(): void {
    const oldest = this.entries.keys().next();
    if (!oldest.done) this.entries.delete(oldest.value);
  }
}

/**
 * What intake does with a message once the store confirmed it: hands it over when this process
 * delivers too (`handoff` set), then queues its deliveries, marked fresh in that case. Throws what
 * queueing throws (the message stays offered until it expires; the relay queues it).
 */
export async function queueStored(o: {
  queues: DeliveryQueues;
  handoff: DeliveryHandoff | undefined;
  channelId: string;
  messageId: string;
  destinationIds: readonly string[];
  forDelivery: () => DeliverableRecord;
  /** The queueing span's trace context, put in each job. */
  trace?: TraceCarrier;
}): Promise<void> {
  const { channelId, messageId, destinationIds, trace } = o;
  o.handoff?.offer({ messageId, destinationIds, read: o.forDelivery });
  await queueDeliveries(o.queues, { channelId, messageId, destinationIds, fresh: o.handoff !== undefined, ...(trace ? { trace } : {}) });
}
