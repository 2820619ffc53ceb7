import type { Collection, Filter, WithId } from 'mongodb';
import { datedKey } from './search-keys.ts';
import { daysBack, MAX_SEARCH_WINDOW_DAYS } from './search-window.ts';
import { DAY_MS, MINUTE_MS } from '../durations.ts';

type Listable = { _id: string; receivedAt: Date; searchKeys?: string[] };

/**
 * Up to `limit` documents whose `searchKeys` hold `<base>|<day>` for a day of the window, newest
 * first (by `_id`), none received after `newest` nor before `lower` (default: MAX_SEARCH_WINDOW_DAYS
 * before `newest`). One query per day, newest day first, from the day of a minute after `newest` (a
 * message of a process whose clock is a little ahead is not skipped) until the page is full: each
 * is an equality on an element of a top-level array, which FerretDB 1.24 passes down to PostgreSQL
 * and a GIN index serves, so a day costs the messages with that value on that day. An `$in` over the
 * window's days (one query) is not passed down: FerretDB read the whole collection (measured in
 * bench/suites/search-scale.ts, docs/performance.md). On MongoDB each query uses the index
 * `search_keys`. `filter` holds the rest of the search (channel, window, cursor, other fields).
 * `legacyKey`: a key without the day that messages of an earlier version hold instead (the MRN's);
 * its matches in the window are merged in, newest first.
 */
export async function listByDatedKey<T extends Listable>(
  collection: Collection<T>,
  o: { filter: Filter<T>; base: string; legacyKey?: string; limit: number; newest: Date; lower?: Date },
): Promise<WithId<T>[]> {
  const projection = { raw: 0, canonical: 0 } as const;
  const find = (searchKeys: string, limit: number) =>
    collection.find({ ...o.filter, searchKeys } as Filter<T>, { projection, sort: { _id: -1 }, limit }).toArray() as Promise<WithId<T>[]>;
  const lower = o.lower ?? new Date(o.newest.getTime() - MAX_SEARCH_WINDOW_DAYS * DAY_MS);
  const found: WithId<T>[] = [];
  for (const day of daysBack(new Date(o.newest.getTime() + MINUTE_MS), lower)) {
    if (found.length >= o.limit) break;
    found.push(...(await find(datedKey(o.base, day), o.limit - found.length)));
  }
  if (o.legacyKey === undefined) return found;
  // Messages stored before keys had the day: few, and none once the store holds none (then one empty lookup).
  const legacy = await find(o.legacyKey, o.limit);
  if (legacy.length === 0) return found;
  const seen = new Set(found.map((d) => d._id));
  return [...found, ...legacy.filter((d) => !seen.has(d._id))].sort((a, b) => (a._id < b._id ? 1 : -1)).slice(0, o.limit);
}
