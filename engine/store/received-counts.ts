import type { Collection, Filter } from 'mongodb';
import type { MessageState } from './message-state.ts';
import { receivedMinuteOf } from './received-minute.ts';
import { MessageStatus } from './states.ts';
import { STATES_COLLECTION, type Store } from './store.ts';
import { storeCall } from './store-call.ts';
import { MINUTE_MS } from '../durations.ts';

/** Totals of complete minutes kept at most this long (the longest error-rate window, and some). */
const KEEP_MS = 3 * 3_600_000;

/** Messages received in some minutes (one channel, or all), and how many of them are errored or dead now. */
export interface MinuteCounts {
  total: number;
  errored: number;
  /** Dead, or partially delivered (a destination dead). */
  dead: number;
}

/**
 * Counts for the alert rules, read from the messages' state documents by equality on top-level
 * fields only, which FerretDB passes down to PostgreSQL (receivedMinute has a GIN index there,
 * scripts/ferretdb-indexes.sql): no range, no `$in`, no aggregation reading a minute's messages.
 * - A minute's total never changes once the minute is over (and its last messages stored): it is counted once and kept.
 * - Failures are counted by `{ receivedMinute, status }` for each failing status: only the failing
 *   messages of the minute are returned to the engine, each pass (a status changes as deliveries die).
 * - Whether a channel received anything: the newest minute first, one document at most each.
 * Every failure is STORE_UNAVAILABLE.
 */
export class ReceivedCounts {
  private readonly states: Collection<MessageState>;
  private readonly totals = new Map<string, { minute: number; total: number }>();

  constructor(store: Store) {
    this.states = store.collection<MessageState>(STATES_COLLECTION);
  }

  /** The last `minutes` whole minutes up to now (the current one included), of one channel or all. */
  async lastMinutes(channelId: string | undefined, minutes: number, now: Date): Promise<MinuteCounts> {
    const current = Math.floor(now.getTime() / MINUTE_MS) * MINUTE_MS;
    const starts = Array.from({ length: minutes }, (_, i) => current - i * MINUTE_MS);
    const of = (start: number) => ({ receivedMinute: receivedMinuteOf(new Date(start)), ...(channelId ? { channelId } : {}) });
    const count = (filter: Filter<MessageState>) => storeCall(() => this.states.countDocuments(filter), 'alerts.receivedCount');
    const failing = [MessageStatus.errored, MessageStatus.dead, MessageStatus.partiallyDelivered] as const;
    const rows = await Promise.all(
      starts.map(async (start) => {
        const [total, ...byStatus] = await Promise.all([
          this.total(channelId, start, current, () => count(of(start))),
          ...failing.map((status) => count({ ...of(start), status })),
        ]);
        return { total, errored: byStatus[0]!, dead: byStatus[1]! + byStatus[2]! };
      }),
    );
    this.forget(current);
    return rows.reduce((a, r) => ({ total: a.total + r.total, errored: a.errored + r.errored, dead: a.dead + r.dead }), {
      total: 0,
      errored: 0,
      dead: 0,
    });
  }

  /**
   * Whether `channelId` received a message in [from, to]: the minutes newest first, each asked for
   * one document; only the oldest minute, cut by `from`, is asked with the time too.
   */
  async any(channelId: string, from: Date, to: Date): Promise<boolean> {
    for (let start = Math.floor((to.getTime() - 1) / MINUTE_MS) * MINUTE_MS; start + MINUTE_MS > from.getTime(); start -= MINUTE_MS) {
      const filter: Filter<MessageState> = { receivedMinute: receivedMinuteOf(new Date(start)), channelId };
      if (start < from.getTime()) filter.receivedAt = { $gte: from };
      const found = await storeCall(() => this.states.findOne(filter, { projection: { _id: 1 } }), 'alerts.receivedAny');
      if (found) return true;
    }
    return false;
  }

  /** A minute's total: kept once the minute is over. */
  private async total(channelId: string | undefined, start: number, current: number, read: () => Promise<number>): Promise<number> {
    const key = `${channelId ?? '*'}|${start}`;
    const kept = this.totals.get(key);
    if (kept) return kept.total;
    const total = await read();
    // Kept once the minute ended a minute ago: a message received at its last instant may be stored a moment later.
    if (start < current - MINUTE_MS) this.totals.set(key, { minute: start, total });
    return total;
  }

  private forget(current: number): void {
    for (const [key, { minute }] of this.totals) if (minute < current - KEEP_MS) this.totals.delete(key);
  }
}
