import { parse, type CsvError, type InfoRecord } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { validateTable, type TableDefinition, type TableProblem } from './table-schema.ts';

/** What a CSV file does not carry: the table's name, description and what a missing key gives. */
export type TableMeta = Pick<TableDefinition, 'name' | 'description' | 'onMissing'>;

/** What csv-parse says about a file it cannot read, told without the file's content. */
const CSV_ERRORS: Partial<Record<CsvError['code'], string>> = {
  CSV_QUOTE_NOT_CLOSED: 'a quoted value is not closed',
  INVALID_OPENING_QUOTE: 'a quote inside an unquoted value (quote the whole value and double the quote)',
  CSV_INVALID_CLOSING_QUOTE: 'a quoted value goes on after its closing quote',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'a quoted value goes on after its closing quote',
};

const lineBreaks = (values: readonly string[]) => values.reduce((n, v) => n + (v.match(/\r\n|\r|\n/g)?.length ?? 0), 0);

/**
 * Reads a table from CSV (RFC 4180: comma separated, values with commas, quotes or line breaks
 * quoted, quotes doubled; a byte order mark, CRLF or LF line ends and blank lines are tolerated):
 * the header row names the columns, the key first; each further row is a row. The table, or its
 * problems, each naming the line it is on (a value spanning lines: its first line), e.g.
 * `line 7: 3 values, the header has 2` or `line 9: key 99213 repeats line 4`; problems of the
 * meta (name, default) have no line.
 */
export function parseTableCsv(
  text: string,
  meta: TableMeta,
): { ok: true; table: TableDefinition } | { ok: false; problems: TableProblem[] } {
  let records: { record: string[]; info: InfoRecord }[];
  try {
    const options = { bom: true, info: true, relax_column_count: true, skip_empty_lines: true, record_delimiter: ['\r\n', '\n'] };
    records = parse(text, options) as unknown as typeof records;
  } catch (err) {
    const e = err as CsvError;
    const line = typeof e.lines === 'number' ? e.lines : undefined;
    return { ok: false, problems: [withLine({ path: '/', message: CSV_ERRORS[e.code] ?? 'not valid CSV' }, line)] };
  }
  const [header, ...rest] = records;
  if (!header) return { ok: false, problems: [{ path: '/', message: 'the file is empty: the header row names the columns', line: 1 }] };
  const lines = records.map((r) => r.info.lines - lineBreaks(r.record));
  const columns = header.record;
  const table: TableDefinition = {
    name: meta.name,
    ...(meta.description ? { description: meta.description } : {}),
    columns,
    rows: rest.map((r) => r.record),
    onMissing: meta.onMissing,
  };
  const problems = validateTable(table).map((p) => csvProblem(p, table, lines));
  return problems.length > 0 ? { ok: false, problems } : { ok: true, table };
}

/** A problem of the table read from CSV, told by its line: rows are the lines after the header. */
function csvProblem(p: TableProblem, table: TableDefinition, lines: readonly number[]): TableProblem {
  if (p.path.startsWith('/columns')) return withLine(p, lines[0]);
  const row = /^\/rows\/(\d+)/.exec(p.path);
  if (!row) return p;
  const i = Number(row[1]);
  const length = table.rows[i]!.length;
  if (p.path === `/rows/${i}` && length !== table.columns.length)
    return withLine({ path: p.path, message: `${length} values, the header has ${table.columns.length}` }, lines[i + 1]);
  const key = table.rows[i]![0] ?? '';
  const first = p.path === `/rows/${i}/0` && key !== '' ? table.rows.findIndex((r) => r[0] === key) : i;
  if (first < i) return withLine({ path: p.path, message: `key ${key} repeats line ${lines[first + 1]}` }, lines[i + 1]);
  return withLine(p, lines[i + 1]);
}

const withLine = (p: TableProblem, line: number | undefined): TableProblem =>
  line === undefined ? p : { path: p.path, message: `line ${line}: ${p.message}`, line };

/**
 * A table as CSV: the header row (its column names), then its rows, CRLF line ends (RFC 4180);
 * values with a comma, a quote or a line break are quoted, quotes doubled. parseTableCsv reads it
 * back to the same columns and rows.
 */
export function tableCsv(table: Pick<TableDefinition, 'columns' | 'rows'>): string {
  return stringify([table.columns, ...table.rows] as string[][], { record_delimiter: '\r\n', quoted_match: /[\r\n]/ });
}
