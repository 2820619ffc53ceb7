import type { Collection, Filter, WithId } from 'mongodb';
import type { MessageRecord } from './message-record.ts';
import { receivedMinuteOf } from './received-minute.ts';

const MINUTE = 60_000;

/**
 * Minutes read one at a time, newest first, before the rest is read by one query. An engine taking
 * a message a second fills a page of 50 within the first one or two.
 */
export const LIST_WALK_MINUTES = 60;

export type ListedMessage = WithId<Omit<MessageRecord, 'raw' | 'canonical'>>;

/**
 * The console's message list: up to `limit` messages matching `filter`, newest first (by `_id`,
 * time-ordered UUIDv7), none received after `newest` (the caller's bound: now, the window's end, the
 * cursor's time) and none before `lower` when given. Reads one minute at a time by
 * `receivedMinute` (see received-minute.ts), from the minute after `newest`'s back (so a message of a
 * process whose clock is a little ahead, or one on the cursor's minute, is not skipped),
 * for at most LIST_WALK_MINUTES; what is still missing comes from one query over everything older.
 * FerretDB 1.24 passes neither a sort nor a limit down to PostgreSQL when there is a filter, and no
 * filter at all for most of the console's: the one query read and sorted the whole collection
 * for every page (50,000 messages: past the driver's 10 s timeout). A minute is an equality it does
 * pass down, so a page costs the messages of the minutes it spans. On MongoDB each query uses an
 * index. Messages stored by a version that did not write `receivedMinute` are found only past the
 * walk (a concern for the first hour after an upgrade). Each query carries the whole filter.
 * A filter on `searchKeys` names few messages by an indexed key, so one query serves the page, on
 * FerretDB too.
 */
export async function listNewestFirst(
  messages: Collection<MessageRecord>,
  o: { filter: Filter<MessageRecord>; limit: number; newest: Date; lower?: Date },
): Promise<ListedMessage[]> {
  const projection = { raw: 0, canonical: 0 } as const;
  // The filter names few messages by an indexed key (an exact search, see search-keys.ts): one query, no walk.
  if (o.filter.searchKeys !== undefined)
    return (await messages.find(o.filter, { projection, sort: { _id: -1 }, limit: o.limit }).toArray()) as ListedMessage[];
  const found: ListedMessage[] = [];
  /** The minute starting at `m` ends before `lower`: nothing there or earlier can match. */
  const beforeLower = (m: number) => o.lower !== undefined && m + MINUTE <= o.lower.getTime();
  let minute = Math.floor(o.newest.getTime() / MINUTE) * MINUTE + MINUTE;
  for (let walked = 0; walked < LIST_WALK_MINUTES && found.length < o.limit; walked++, minute -= MINUTE) {
    if (beforeLower(minute)) return found;
    const docs = await messages
      .find(
        { ...o.filter, receivedMinute: receivedMinuteOf(new Date(minute)) },
        { projection, sort: { _id: -1 }, limit: o.limit - found.length },
      )
      .toArray();
    found.push(...(docs as ListedMessage[]));
  }
  if (found.length >= o.limit || beforeLower(minute)) return found;
  // Older than every minute walked. A range on receivedAt: docs without receivedMinute are found too.
  const receivedAt = { ...(o.filter.receivedAt as object | undefined), $lt: new Date(minute + MINUTE) };
  const rest = await messages.find({ ...o.filter, receivedAt }, { projection, sort: { _id: -1 }, limit: o.limit - found.length }).toArray();
  return [...found, ...(rest as ListedMessage[])];
}
