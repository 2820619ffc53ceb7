import type { MessageContent } from './message-state.ts';
import type { Collection } from 'mongodb';
import { backfillOnce } from './backfill.ts';
import type { MessageRecord, MessageSummary } from './message-record.ts';

/** What the console searches a message by exactly, and the prefix of its entry in `searchKeys`. */
export const SearchKeyKind = { mrn: 'mrn', controlId: 'control' } as const;
export type SearchKeyKind = keyof typeof SearchKeyKind;

/**
 * `MessageRecord.searchKeys` holds `<kind>|<value>` for the summary's MRN (PID-3.1, or the FHIR
 * patient) and control id (MSH-10), each value as stored: a keyed hash with SEARCH_HASH_KEY, and
 * no MRN entry when it is sealed without a hash (then it is not searchable). One top-level array
 * because FerretDB 1.24 passes no filter on a nested field (`summary.mrn`) down to PostgreSQL: a
 * search for a patient whose messages are older than the list's walk read the whole collection
 * (2.1 s at 50,000 messages); an element of a top-level array is an equality it passes down, which
 * a GIN index serves (scripts/ferretdb-indexes.sql). On MongoDB the index `search_keys` serves it.
 */
export function searchKey(kind: SearchKeyKind, storedValue: string): string {
  return `${SearchKeyKind[kind]}|${storedValue}`;
}

/** The `searchKeys` of a summary as stored (see searchKey): one per kind with a value. */
export function searchKeysOf(summary: MessageSummary | undefined): string[] {
  if (!summary) return [];
  return (Object.keys(SearchKeyKind) as SearchKeyKind[]).flatMap((kind) => (summary[kind] ? [searchKey(kind, summary[kind])] : []));
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
    projection: { _id: 1, summary: 1 },
    valueOf: (m) => searchKeysOf(m.summary),
  });
}
