/**
 * `MessageRecord.receivedMinute`: the UTC minute a message was received in, `YYYY-MM-DDTHH:MM`.
 * Counts over a time window (StoreMetrics.received: the dashboard, polled every 5 s, and the metrics
 * endpoint) read one minute at a time by equality on it. FerretDB 1.24 passes an equality on a
 * top-level field down to PostgreSQL (served by the GIN index of scripts/ferretdb-indexes.sql) but
 * not a range on `receivedAt`, so a count of the last minutes read and decoded the whole collection,
 * every poll. On MongoDB the `channel_time` index serves the same queries.
 */
export function receivedMinuteOf(at: Date): string {
  return at.toISOString().slice(0, 16);
}

/**
 * `MessageRecord.receivedDay`: the UTC day a message was received on, `YYYY-MM-DD`. Pruning
 * (engine/ops/retention) reads the messages of one day by equality on it: a minute at a time, a year
 * of history would be half a million queries, most of them for nothing.
 */
export function receivedDayOf(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** The minutes `[from, to)` touches, oldest first (none when `to` is not after `from`). */
export function minutesOf(from: Date, to: Date): string[] {
  const out: string[] = [];
  for (let t = Math.floor(from.getTime() / 60_000) * 60_000; t < to.getTime(); t += 60_000) out.push(receivedMinuteOf(new Date(t)));
  return out;
}
