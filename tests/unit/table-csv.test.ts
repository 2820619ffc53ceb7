import test from 'ava';
import { deepStrictEqual } from 'node:assert/strict';
import fc from 'fast-check';
import { parseTableCsv, tableCsv, type TableMeta } from '../../engine/tables/table-csv.ts';
import { validateTable } from '../../engine/tables/table-schema.ts';

const meta: TableMeta = { name: 'cpt-to-gl', onMissing: { error: true } };
const messages = (text: string, m = meta) => {
  const parsed = parseTableCsv(text, m);
  return parsed.ok ? [] : parsed.problems.map((p) => p.message);
};

test('a CSV file is a table: the header names the columns, RFC 4180 quoting, BOM, CRLF or LF, blank lines skipped', (t) => {
  const parsed = parseTableCsv(
    '\uFEFFcode,gl_account,cost_center\r\n99213,"4000,10","the ""clinic"""\n\n99214,é😀,"two\r\nlines"\r\n',
    meta,
  );
  t.deepEqual(parsed, {
    ok: true,
    table: {
      name: 'cpt-to-gl',
      columns: ['code', 'gl_account', 'cost_center'],
      rows: [
        ['99213', '4000,10', 'the "clinic"'],
        ['99214', 'é😀', 'two\r\nlines'],
      ],
      onMissing: { error: true },
    },
  });
});

test('problems name their line: row length, repeated and empty keys, values spanning lines counted', (t) => {
  const text = 'code,gl\n1,"a\nb"\n2,x,y\n\n3,z\n,w\n1,v\n';
  t.deepEqual(messages(text), ['line 4: 3 values, the header has 2', 'line 7: the key is empty', 'line 8: key 1 repeats line 2']);
  const lines = parseTableCsv(text, meta);
  t.deepEqual(lines.ok ? [] : lines.problems.map((p) => p.line), [4, 7, 8]);
});

test('a file csv-parse cannot read, an empty file, a bad header, a default naming no column', (t) => {
  t.deepEqual(messages('code,gl\n1,"open\n'), ['line 2: a quoted value is not closed']);
  t.deepEqual(messages('code,gl\n1,a"b"\n'), ['line 2: a quote inside an unquoted value (quote the whole value and double the quote)']);
  t.deepEqual(messages(''), ['the file is empty: the header row names the columns']);
  t.deepEqual(messages('code\n1\n'), ['line 1: Expected array length to be greater or equal to 2']);
  t.deepEqual(messages('code,gl,code\n1,2,3\n'), ['line 1: column code repeats column 0']);
  t.deepEqual(messages('Code,gl\n1,2\n'), ['line 1: "Code" is not lower-case letters, digits and underscores, a letter first']);
  t.deepEqual(messages('code,gl\n1,2\n', { name: 'x', onMissing: { default: { cc: '0', code: '1' } } }), [
    'no column cc',
    'the key column has no default',
  ]);
});

test('validateTable: the shape first, at most 100,000 rows', (t) => {
  t.deepEqual(validateTable({ name: 'Bad', columns: ['a', 'b'], rows: [], onMissing: { error: true } }).length, 1);
  const rows = Array.from({ length: 100_001 }, (_, i) => [String(i), 'x']);
  t.deepEqual(validateTable({ name: 'big', columns: ['a', 'b'], rows, onMissing: { error: true } }), [
    { path: '/rows', message: '100001 entries, at most 100000' },
  ]);
  t.deepEqual(validateTable({ name: 'ok', columns: ['a', 'b'], rows: rows.slice(0, 10), onMissing: { default: { b: '' } } }), []);
});

const tricky = fc.constantFrom(',', '"', '\n', '\r\n', '\r', ' ', '""', 'a,"b"\nc', 'é', '😀', '\u00a0', '');
const value = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  tricky,
  fc.array(tricky, { maxLength: 4 }).map((a) => a.join('')),
);
const table = fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/), { minLength: 2, maxLength: 5 }).chain((columns) =>
  fc.record({
    columns: fc.constant(columns),
    rows: fc.uniqueArray(
      fc.tuple(
        value.filter((k) => k !== ''),
        fc.array(value, { minLength: columns.length - 1, maxLength: columns.length - 1 }),
      ),
      { selector: ([k]) => k, maxLength: 20 },
    ),
  }),
);

test('export then import gives the same table: commas, quotes, line breaks, unicode', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(table, ({ columns, rows }) => {
        const defined = { ...meta, columns, rows: rows.map(([k, rest]) => [k, ...rest]) };
        deepStrictEqual(parseTableCsv(tableCsv(defined), meta), { ok: true, table: defined });
      }),
      { numRuns: 300 },
    ),
  );
});
