import { diffValues } from '../audit/config-audit.ts';
import type { TableDefinition } from './table-schema.ts';

/** A row whose key is in both versions with other values: the columns that differ (absent: null). */
export interface ChangedRow {
  key: string;
  columns: Record<string, { before: string | null; after: string | null }>;
}

/** What changed from one version of a table to another; row lists hold at most `limit` entries, the counts all. */
export interface TableDiff {
  /** The column names before and after, when they differ. */
  columns: { before: readonly string[]; after: readonly string[] } | null;
  /** Description and onMissing: changed leaf paths, as channels' diffs. */
  settings: ReturnType<typeof diffValues>;
  added: string[];
  removed: string[];
  changed: ChangedRow[];
  counts: { added: number; removed: number; changed: number };
}

const byKey = (t: Pick<TableDefinition, 'columns' | 'rows'>) =>
  new Map(t.rows.map((r) => [r[0]!, Object.fromEntries(t.columns.map((c, i) => [c, r[i]!])) as Record<string, string>]));

/**
 * Rows added, removed and changed by key (values compared by column name, so a renamed or added
 * column shows on every row that has a value in it), columns changed, and the other settings.
 */
export function diffTables(before: TableDefinition, after: TableDefinition, limit = 1000): TableDiff {
  const a = byKey(before);
  const b = byKey(after);
  const added = [...b.keys()].filter((k) => !a.has(k));
  const removed = [...a.keys()].filter((k) => !b.has(k));
  const changed: ChangedRow[] = [];
  for (const [key, row] of b) {
    const old = a.get(key);
    if (!old) continue;
    const columns: ChangedRow['columns'] = {};
    for (const c of new Set([...Object.keys(old), ...Object.keys(row)]))
      if (old[c] !== row[c]) columns[c] = { before: old[c] ?? null, after: row[c] ?? null };
    if (Object.keys(columns).length > 0) changed.push({ key, columns });
  }
  const sameColumns = JSON.stringify(before.columns) === JSON.stringify(after.columns);
  return {
    columns: sameColumns ? null : { before: before.columns, after: after.columns },
    settings: diffValues(
      { description: before.description, onMissing: before.onMissing },
      { description: after.description, onMissing: after.onMissing },
    ),
    added: added.slice(0, limit),
    removed: removed.slice(0, limit),
    changed: changed.slice(0, limit),
    counts: { added: added.length, removed: removed.length, changed: changed.length },
  };
}
