import { Type } from '@sinclair/typebox';
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value';
import type { LookupTable } from '../../transforms/lookups/lookup-table.ts';

/** A lookup table as saved: a LookupTable without its version (the store numbers versions). */
export type TableDefinition = Omit<LookupTable, 'version'>;

/** One thing wrong with a table: a JSON pointer into the definition and what is wrong there. */
export interface TableProblem {
  path: string;
  message: string;
  /** The CSV line it comes from, for a table imported from CSV (table-csv.ts). */
  line?: number;
}

/** At most this many rows in one table. */
export const MAX_TABLE_ROWS = 100_000;
/** At most this many problems are reported for one table. */
const MAX_PROBLEMS = 20;

export const TABLE_NAME_PATTERN = '^[a-z0-9][a-z0-9-]{0,62}$';
const Column = Type.String({
  pattern: '^[a-z][a-z0-9_]{0,62}$',
  description: 'lower-case letters, digits and underscores, a letter first',
});
const Cell = Type.String({ maxLength: 4096 });

/** The shape of a table definition as saved (POST /api/tables takes it). */
export const TableSchema = Type.Object(
  {
    name: Type.String({ pattern: TABLE_NAME_PATTERN, description: 'lower-case letters, digits and dashes' }),
    description: Type.Optional(Type.String({ maxLength: 500 })),
    columns: Type.Array(Column, { minItems: 2, maxItems: 64, description: 'the key column first' }),
    rows: Type.Array(Type.Array(Cell), { maxItems: MAX_TABLE_ROWS, description: 'one value per column; the first is the key' }),
    onMissing: Type.Union([
      Type.Object({ error: Type.Literal(true) }, { additionalProperties: false }),
      Type.Object({ default: Type.Record(Type.String(), Cell) }, { additionalProperties: false }),
    ]),
  },
  { additionalProperties: false },
);

/** TypeBox's message, but a name that does not match its pattern is told what it must be, and a list too long its length. */
function shapeMessage(e: ValueError): string {
  if (e.type === ValueErrorType.StringPattern && e.schema.description) return `${JSON.stringify(e.value)} is not ${e.schema.description}`;
  if (e.type === ValueErrorType.ArrayMaxItems) return `${(e.value as unknown[]).length} entries, at most ${e.schema.maxItems as number}`;
  return e.message;
}

/**
 * The problems of a table definition (none when it is valid): its shape (name, at least two
 * column names, at most MAX_TABLE_ROWS rows), then unique column names, each row as long as the
 * columns, unique non-empty keys, and a default naming only non-key columns. At most 20 problems.
 */
export function validateTable(value: unknown): TableProblem[] {
  const shape = [...Value.Errors(TableSchema, value)]
    .slice(0, MAX_PROBLEMS)
    .map((e) => ({ path: e.path || '/', message: shapeMessage(e) }));
  if (shape.length > 0) return shape;
  const table = value as TableDefinition;
  const problems: TableProblem[] = [];
  table.columns.forEach((c, i) => {
    if (table.columns.indexOf(c) !== i)
      problems.push({ path: `/columns/${i}`, message: `column ${c} repeats column ${table.columns.indexOf(c)}` });
  });
  const keys = new Map<string, number>();
  for (const [i, row] of table.rows.entries()) {
    if (problems.length >= MAX_PROBLEMS) break;
    if (row.length !== table.columns.length)
      problems.push({ path: `/rows/${i}`, message: `${row.length} values, the table has ${table.columns.length} columns` });
    const key = row[0] ?? '';
    if (key === '') problems.push({ path: `/rows/${i}/0`, message: 'the key is empty' });
    else if (keys.has(key)) problems.push({ path: `/rows/${i}/0`, message: `key ${key} repeats row ${keys.get(key)}` });
    else keys.set(key, i);
  }
  if ('default' in table.onMissing)
    for (const column of Object.keys(table.onMissing.default))
      if (table.columns.indexOf(column) < 1)
        problems.push({
          path: `/onMissing/default/${column}`,
          message: column === table.columns[0] ? 'the key column has no default' : `no column ${column}`,
        });
  return problems.slice(0, MAX_PROBLEMS);
}
