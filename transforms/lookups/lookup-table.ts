import { FieldValueError } from '../dsl/transform-errors.ts';

/**
 * A lookup table as mappings read it (one version of it): a code table of two or more columns,
 * the first being the key, e.g. charge code → GL account, cost center. Pure data: analysts import
 * and export it as CSV (engine/tables), and a channel version pins the exact version its mappings use.
 */
export interface LookupTable {
  /** Lower-case letters, digits and dashes, e.g. `cpt-to-gl`. */
  name: string;
  version: number;
  description?: string;
  /** Column names, the key first; at least two, unique. */
  columns: readonly string[];
  /** Each row has one value per column; keys (first values) are unique and non-empty. */
  rows: readonly (readonly string[])[];
  /**
   * A key not in the table: an error naming the table and the key (the field fails, the message is
   * errored and can be replayed once the table is fixed), or a default value per non-key column.
   */
  onMissing: { error: true } | { default: Readonly<Record<string, string>> };
}

/** The tables a mapping may name, each at the version pinned for it. */
export interface LookupTables {
  get(name: string): LookupTable | undefined;
}

/** A lookup that found no row and the table has no default (FieldValueError, so the field names table and key). */
export class MissingLookupError extends FieldValueError {
  constructor(
    readonly table: string,
    key: string,
  ) {
    super(`is not in lookup table ${table}`, key);
  }
}

/**
 * The value of `column` (default: the second column) in `table`'s row for `key`; the table's
 * default when it has no such row, else MissingLookupError. `column` must be one of the table's
 * non-key columns (checked when the mapping is compiled, see the expression compiler).
 */
export function lookupValue(table: LookupTable, key: string, column = table.columns[1]!): string {
  const index = table.columns.indexOf(column);
  const row = rowIndex(table).get(key);
  if (row) return row[index]!;
  if ('default' in table.onMissing && table.onMissing.default[column] !== undefined) return table.onMissing.default[column]!;
  throw new MissingLookupError(table.name, key);
}

const indexes = new WeakMap<LookupTable, Map<string, readonly string[]>>();

/** Rows by key, built once per table object. */
function rowIndex(table: LookupTable): Map<string, readonly string[]> {
  let index = indexes.get(table);
  if (!index) {
    index = new Map(table.rows.map((r) => [r[0]!, r]));
    indexes.set(table, index);
  }
  return index;
}
