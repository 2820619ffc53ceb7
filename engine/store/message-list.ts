import type { Collection, Filter, WithId } from 'mongodb';
import { messageIdTime } from '../ids.ts';
import { lookUpMap } from './lookup.ts';
import type { MessageRecord } from './message-record.ts';
import { mergeRecord, type MessageContent, type MessageState } from './message-state.ts';
import { receivedMinuteOf } from './received-minute.ts';
import { listByDatedKey } from './dated-search.ts';
import { fieldKey, legacyMrnKey, searchKey } from './search-keys.ts';
import type { MessageStatus } from './states.ts';
import { storeCall } from './store-call.ts';
import type { StoreContext } from './store-context.ts';
import { MINUTE_MS } from '../durations.ts';

/**
 * Minutes read one at a time, newest first, before the rest is read by one query. An engine taking
 * a message a second fills a page of 50 within the first one or two.
 */
export const LIST_WALK_MINUTES = 60;

/** Pages of messages read at most for one page of the list when a filter of each collection is given (see listMessages). */
const MAX_PAGES = 20;

export interface MessageQuery {
  channelId?: string;
  status?: MessageStatus;
  controlId?: string;
  mrn?: string;
  /** A search field the channel declares, and the value searched for (search-keys.ts); give `channelId` too. */
  field?: { name: string; value: string };
  limit: number;
  /** Opaque cursor: the last `_id` of the previous page (ids are time-ordered UUIDv7). */
  before?: string;
  /** Only these channels (a user's scope); with `channelId` too, both must hold. */
  channelIds?: readonly string[];
  /** `ADT` or `ADT^A01`; for FHIR messages the resource type. */
  messageType?: string;
  /** Received at or after / before. */
  from?: Date;
  to?: Date;
  /** Messages routed to this destination. */
  destinationId?: string;
  /** Messages that met this error code (intake, routing or any delivery attempt's last error). */
  errorCode?: string;
}

/** A message as the list shows it: without its raw content and canonical events. */
export type ListedMessage = Omit<MessageRecord, 'raw' | 'canonical'>;

/** What `listNewestFirst` reads: either collection, both having these fields. */
type Listable = { _id: string; receivedAt: Date; receivedMinute?: string };

/**
 * The console's message list, newest first: a page of `query.limit`. A message is two documents
 * (message-state.ts): the filters on its content (MRN, control id, type) and those on its state
 * (status, destination, error code) are in different collections, and the store joins nothing. The
 * list reads the collection its filter names (states when it names neither: they are smaller),
 * then the other document of each by `_id`; when the query filters on both, it reads pages of
 * messages and keeps those whose state matches, up to MAX_PAGES pages.
 */
export async function listMessages(ctx: StoreContext, query: MessageQuery): Promise<ListedMessage[]> {
  const newest = new Date(
    Math.min(query.to?.getTime() ?? Infinity, (query.before ? messageIdTime(query.before) : undefined) ?? Infinity, Date.now()),
  );
  const bounds = { newest, ...(query.from ? { lower: query.from } : {}) };
  const search = contentSearchOf(ctx, query);
  if (!search) {
    const states = await storeCall(
      () => listNewestFirst(ctx.states(), { filter: stateFilterOf(query), limit: query.limit, ...bounds }),
      'messages.listStates',
    );
    return withContents(ctx, states);
  }
  const found: ListedMessage[] = [];
  let before = query.before;
  const { dated } = search;
  for (let page = 0; page < MAX_PAGES && found.length < query.limit; page++) {
    const filter = before ? { ...search.filter, _id: { $lt: before } } : search.filter;
    const limit = query.limit - found.length;
    const contents = await storeCall(
      () =>
        dated
          ? listByDatedKey(ctx.messages(), { filter, limit, ...bounds, ...dated })
          : listNewestFirst(ctx.messages(), { filter, limit, ...bounds }),
      'messages.listContents',
    );
    const states = await lookUpMap(
      ctx.states(),
      contents.map((c) => c._id),
    );
    for (const c of contents) {
      const state = states.get(c._id);
      if (state && stateMatches(state, query)) found.push(ctx.sealer.open(mergeRecord(c, state)));
    }
    if (contents.length < limit || !hasStateFilter(query)) break;
    before = contents.at(-1)?._id;
  }
  return found;
}

/**
 * States joined with their messages' content (read by `_id`, without raw content and canonical
 * events), merged and opened, in the order given; a state whose message is missing is left out.
 */
export async function withContents(ctx: StoreContext, states: readonly MessageState[]): Promise<ListedMessage[]> {
  const contents = await lookUpMap(
    ctx.messages(),
    states.map((s) => s._id),
    { raw: 0, canonical: 0 },
  );
  return states.flatMap((s) => {
    const content = contents.get(s._id);
    return content ? [ctx.sealer.open(mergeRecord(content, s))] : [];
  });
}

const hasStateFilter = (q: MessageQuery) => Boolean(q.status ?? q.destinationId ?? q.errorCode);

function stateMatches(s: MessageState, q: MessageQuery): boolean {
  return (
    (!q.status || s.status === q.status) &&
    (!q.destinationId || (s.destinationIds ?? []).includes(q.destinationId)) &&
    (!q.errorCode || (s.errorCodes ?? []).includes(q.errorCode as never))
  );
}

/** The filters both documents hold: channel, time, cursor. */
function commonFilter(q: MessageQuery): Record<string, unknown> {
  const filter: Record<string, unknown> = {};
  if (q.channelId) filter.channelId = q.channelId;
  else if (q.channelIds) filter.channelId = { $in: [...q.channelIds] };
  if (q.from || q.to) filter.receivedAt = { ...(q.from ? { $gte: q.from } : {}), ...(q.to ? { $lt: q.to } : {}) };
  if (q.before) filter._id = { $lt: q.before };
  return filter;
}

function stateFilterOf(q: MessageQuery): Filter<MessageState> {
  const filter = commonFilter(q);
  if (q.status) filter.status = q.status;
  if (q.destinationId) filter.destinationIds = q.destinationId;
  if (q.errorCode) filter.errorCodes = q.errorCode;
  return filter as Filter<MessageState>;
}

/**
 * The search on the messages' content, or undefined when the query names nothing of it: a filter,
 * and the key by day that the search walks (dated-search.ts) when it is by a search field or MRN.
 * Exact searches by their stored keys (search-keys.ts): one by its key in `searchKeys`, the others
 * given with it by the summary's fields, as stored.
 */
function contentSearchOf(
  ctx: StoreContext,
  q: MessageQuery,
): { filter: Filter<MessageContent>; dated?: { base: string; legacyKey?: string } } | undefined {
  const filter = commonFilter(q);
  const mrn = q.mrn && ctx.sealer.searchValue(q.mrn);
  const controlId = q.controlId && ctx.sealer.searchValue(q.controlId);
  const field = q.field && fieldKey(q.field.name, ctx.sealer.searchValue(q.field.value));
  let dated: { base: string; legacyKey?: string } | undefined;
  if (field) dated = { base: field };
  else if (mrn) dated = { base: searchKey('mrn', mrn), legacyKey: legacyMrnKey(mrn) };
  if (mrn && field) filter['summary.mrn'] = mrn;
  if (controlId && dated) filter['summary.controlId'] = controlId;
  else if (controlId) filter.searchKeys = searchKey('controlId', controlId);
  if (q.messageType) {
    const [type, trigger] = q.messageType.split('^');
    filter['summary.messageType'] = type;
    if (trigger) filter['summary.triggerEvent'] = trigger;
  }
  if (!dated && !controlId && !q.messageType) return undefined;
  return { filter: filter as Filter<MessageContent>, ...(dated ? { dated } : {}) };
}

/**
 * Up to `limit` documents matching `filter`, newest first (by `_id`, time-ordered UUIDv7), none
 * received after `newest` (the caller's bound: now, the window's end, the cursor's time) and none
 * before `lower` when given. Reads one minute at a time by `receivedMinute` (see
 * received-minute.ts), from the minute after `newest`'s back (so a message of a process whose clock
 * is a little ahead, or one on the cursor's minute, is not skipped), for at most LIST_WALK_MINUTES;
 * what is still missing comes from one query over everything older. FerretDB 1.24 passes neither a
 * sort nor a limit down to PostgreSQL when there is a filter, and no filter at all for most of the
 * console's: the one query read and sorted the whole collection for every page (50,000 messages:
 * past the driver's 10 s timeout). A minute is an equality it does pass down, so a page costs the
 * messages of the minutes it spans. On MongoDB each query uses an index. Documents stored by a
 * version that did not write `receivedMinute` are found only past the walk. A filter on
 * `searchKeys` names few messages by an indexed key, so one query serves the page, on FerretDB too.
 */
export async function listNewestFirst<T extends Listable>(
  collection: Collection<T>,
  o: { filter: Filter<T>; limit: number; newest: Date; lower?: Date },
): Promise<WithId<T>[]> {
  const projection = { raw: 0, canonical: 0 } as const;
  const find = (filter: Filter<T>, limit: number) =>
    collection.find(filter, { projection, sort: { _id: -1 }, limit }).toArray() as Promise<WithId<T>[]>;
  if ((o.filter as Record<string, unknown>).searchKeys !== undefined) return find(o.filter, o.limit);
  const found: WithId<T>[] = [];
  /** The minute starting at `m` ends before `lower`: nothing there or earlier can match. */
  const beforeLower = (m: number) => o.lower !== undefined && m + MINUTE_MS <= o.lower.getTime();
  let minute = Math.floor(o.newest.getTime() / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
  for (let walked = 0; walked < LIST_WALK_MINUTES && found.length < o.limit; walked++, minute -= MINUTE_MS) {
    if (beforeLower(minute)) return found;
    found.push(...(await find({ ...o.filter, receivedMinute: receivedMinuteOf(new Date(minute)) }, o.limit - found.length)));
  }
  if (found.length >= o.limit || beforeLower(minute)) return found;
  // Older than every minute walked. A range on receivedAt: documents without receivedMinute are found too.
  const receivedAt = { ...((o.filter as { receivedAt?: object }).receivedAt ?? {}), $lt: new Date(minute + MINUTE_MS) };
  return [...found, ...(await find({ ...o.filter, receivedAt }, o.limit - found.length))];
}
