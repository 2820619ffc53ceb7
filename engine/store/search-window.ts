import { SwitchboardError } from '../errors.ts';
import { DAY_MS } from '../durations.ts';

/** The window of a message search given without `from` (GET /api/messages): the last 7 days before `to` (default now). */
export const DEFAULT_SEARCH_WINDOW_DAYS = 7;
/** The widest window a search may ask for; a wider one is refused (400). */
export const MAX_SEARCH_WINDOW_DAYS = 31;

/** The instants a search covers: received at or after `from`, before `to`. */
export interface SearchWindow {
  from: Date;
  to: Date;
}

/**
 * The time window of one message search (GET /api/messages). Every search is bounded by one, so
 * that what a search reads is bounded by the messages of at most MAX_SEARCH_WINDOW_DAYS days, not by
 * the whole store: without `to` it ends now (a little ahead, for a clock ahead of this one's), without
 * `from` it starts DEFAULT_SEARCH_WINDOW_DAYS before its end. Throws SwitchboardError('BAD_REQUEST')
 * naming the limit when `from` is not before `to` or the window is wider than MAX_SEARCH_WINDOW_DAYS.
 */
export function searchWindow(o: { from?: Date; to?: Date; now?: Date }): SearchWindow {
  const to = o.to ?? new Date((o.now ?? new Date()).getTime() + 60_000);
  const from = o.from ?? new Date(to.getTime() - DEFAULT_SEARCH_WINDOW_DAYS * DAY_MS);
  if (from.getTime() >= to.getTime()) throw new SwitchboardError('BAD_REQUEST', '`from` must be before `to`');
  if (to.getTime() - from.getTime() > MAX_SEARCH_WINDOW_DAYS * DAY_MS)
    throw new SwitchboardError(
      'BAD_REQUEST',
      `a search covers at most ${MAX_SEARCH_WINDOW_DAYS} days (from … to); narrow the window, or search it in parts`,
    );
  return { from, to };
}

/**
 * The UTC days (`YYYY-MM-DD`) from `newest`'s back to `oldest`'s, newest first, both included: the
 * days a dated key is looked up under (dated-search.ts). Empty when `oldest` is after `newest`.
 */
export function daysBack(newest: Date, oldest: Date): string[] {
  const days: string[] = [];
  const last = Math.floor(oldest.getTime() / DAY_MS);
  for (let d = Math.floor(newest.getTime() / DAY_MS); d >= last; d--) days.push(new Date(d * DAY_MS).toISOString().slice(0, 10));
  return days;
}
