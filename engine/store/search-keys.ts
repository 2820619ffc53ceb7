import type { MessageContent } from './message-state.ts';
import type { Collection } from 'mongodb';
import { backfillOnce } from './backfill.ts';
import type { MessageSummary } from './message-record.ts';

/** What the console searches a message by exactly, and the prefix of its entry in `searchKeys`. */
export const SearchKeyKind = { mrn: 'mrn', controlId: 'control' } as const;

export type SearchKeyKind = keyof typeof SearchKeyKind;

/** The MRN key of messages stored before MRN keys had the day (12-07): `mrn|<MRN>`, still searched (dated-search.ts). */
export const legacyMrnKey = (storedMrn: string): string => searchKey('mrn', storedMrn);

/**
 * `MessageRecord.searchKeys` holds, each value as stored (a keyed hash with SEARCH_HASH_KEY):
 * - `mrn|<MRN>|<day>`: the summary's MRN (PID-3.1, or the FHIR patient) with the UTC day the message
 *   was received (`YYYY-MM-DD`); no entry when the MRN is sealed without a hash (then it is not
 *   searchable). Messages stored before 12-07 have `mrn|<MRN>` without the day (legacyKey).
 * - `control|<control id>` (MSH-10): near unique, so not by day.
 * - `field|<name>|<value>|<day>`: each value of each search field the channel declares
 *   (engine/channels/search-fields.ts), read at intake; none when sealed without a hash.
 * One top-level array because FerretDB 1.24 passes no filter on a nested field (`summary.mrn`) down
 * to PostgreSQL: a search for a patient whose messages are older than the list's walk read the whole
 * collection (2.1 s at 50,000 messages); an element of a top-level array is an equality it passes
 * down, which a GIN index serves (scripts/ferretdb-indexes.sql). On MongoDB the index `search_keys`
 * serves it. By day because a search is bounded by a time window (search-window.ts) and FerretDB
 * passes neither a range on `receivedAt` nor an `$in` down: with the day in the key, a search reads
 * the messages of the window's days with that value (one equality per day, dated-search.ts), not
 * every message with that value ever (an item code may be on a hundred thousand).
 */
export function searchKey(kind: SearchKeyKind, storedValue: string): string {
  return `${SearchKeyKind[kind]}|${storedValue}`;
}

/** The key of a declared search field's value without its day: `field|<name>|<value>` (see searchKey). */
export function fieldKey(name: string, storedValue: string): string {
  return `field|${name}|${storedValue}`;
}

/** The UTC day of an instant, `YYYY-MM-DD`: the suffix of dated keys. */
export const dayOf = (at: Date): string => at.toISOString().slice(0, 10);

/** A key for one day: `<base>|<day>` (base: searchKey('mrn', …) or fieldKey). */
export const datedKey = (base: string, day: string): string => `${base}|${day}`;

/**
 * The `searchKeys` of a new message (see searchKey): its summary as stored (MRN and control id hashed
 * when they are), the day it was received, and its search fields' values as stored (storedFieldValues).
 */
export function searchKeysOf(
  summary: MessageSummary | undefined,
  receivedAt: Date,
  fields?: Readonly<Record<string, readonly string[]>>,
): string[] {
  const day = dayOf(receivedAt);
  const keys: string[] = [];
  if (summary?.mrn) keys.push(datedKey(searchKey('mrn', summary.mrn), day));
  if (summary?.controlId) keys.push(searchKey('controlId', summary.controlId));
  for (const [name, values] of Object.entries(fields ?? {})) for (const v of values) keys.push(datedKey(fieldKey(name, v), day));
  return keys;
}

/**
 * Search field values as stored: each through `stored` (RecordSealer.searchableValue: a keyed hash
 * with SEARCH_HASH_KEY; undefined when sealed without a hash, then the value is not kept).
 */
export function storedFieldValues(
  values: Readonly<Record<string, readonly string[]>> | undefined,
  stored: (value: string) => string | undefined,
): Record<string, string[]> {
  return Object.fromEntries(
    Object.entries(values ?? {})
      .map(([name, vs]) => [name, vs.flatMap((v) => stored(v) ?? [])] as const)
      .filter(([, vs]) => vs.length > 0),
  );
}

/**
 * Gives `searchKeys` to the messages stored without it (by a version that did not write it), so
 * that a search finds them too. Once per store, in Store.start before it serves (backfillOnce):
 * one read of the whole collection, and a write per message of an earlier version.
 */
export function backfillSearchKeys(messages: Collection<MessageContent>, meta: Collection<{ _id: string; at: Date }>): Promise<number> {
  return backfillOnce({
    messages,
    meta,
    marker: 'search-keys',
    field: 'searchKeys',
    filters: [{}],
    projection: { _id: 1, summary: 1, receivedAt: 1 },
    valueOf: (m) => searchKeysOf(m.summary, m.receivedAt),
  });
}
