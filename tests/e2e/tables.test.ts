import test from 'ava';
import { startTestEngine, testChannel, type TestEngine } from '../support/harness.ts';
import { userSession } from '../support/users.ts';

let sb: TestEngine;
let analyst: Record<string, string>;
let viewer: Record<string, string>;

test.before(async () => {
  sb = await startTestEngine({ channels: [testChannel({ erpUrl: 'http://127.0.0.1:9' })] });
  analyst = await userSession(sb, { username: 'ana.tables', role: 'analyst' });
  viewer = await userSession(sb, { username: 'vi.tables', role: 'viewer' });
});
test.after.always(() => sb?.close());

const api = (headers: Record<string, string>, method: string, url: string, payload?: unknown) =>
  sb.engine.http!.inject({ method: method as 'GET', url, headers, ...(payload !== undefined ? { payload: payload as object } : {}) });
const importCsv = (headers: Record<string, string>, name: string, csv: string) =>
  sb.engine.http!.inject({
    method: 'PUT',
    url: `/api/tables/${name}/csv`,
    headers: { ...headers, 'content-type': 'text/csv' },
    payload: csv,
  });

const V1 = 'code,gl_account,cost_center\r\n99213,"4000,10",CC1\r\n99214,4010,"the ""clinic"""\r\n99215,4020,"two\r\nlines"\r\n';
const V2 = 'code,gl_account,cost_center\n99213,"4000,10",CC1\n99214,4011,"the ""clinic"""\n99215,4020,"two\r\nlines"\n99216,4030,CC3\n';

test.serial('an analyst imports a CSV file as versions; an unchanged import is no version; diffs show the changed keys', async (t) => {
  const first = await importCsv(analyst, 'cpt-to-gl', V1);
  t.is(first.statusCode, 201);
  t.like(first.json(), { name: 'cpt-to-gl', version: 1, origin: 'import', author: 'ana.tables', rows: 3 });
  const again = await importCsv(analyst, 'cpt-to-gl', V1);
  t.is(again.statusCode, 200, 'the same content is no new version');
  t.is(again.json().version, 1);

  const second = await importCsv(analyst, 'cpt-to-gl', V2);
  t.is(second.statusCode, 201);
  t.is(second.json().version, 2);
  const diff = (await api(analyst, 'GET', '/api/tables/cpt-to-gl/diff?from=1&to=2')).json();
  t.like(diff, { from: 1, to: 2, columns: null, added: ['99216'], removed: [], counts: { added: 1, removed: 0, changed: 1 } });
  t.deepEqual(diff.changed, [{ key: '99214', columns: { gl_account: { before: '4010', after: '4011' } } }]);
  t.deepEqual(
    (await api(viewer, 'GET', '/api/tables/cpt-to-gl/versions')).json().items.map((v: { version: number }) => v.version),
    [2, 1],
  );

  const detail = (await api(viewer, 'GET', '/api/tables/cpt-to-gl?version=1')).json();
  t.like(detail, { name: 'cpt-to-gl', version: 1, usedBy: [] });
  t.deepEqual(detail.definition.rows[2], ['99215', '4020', 'two\r\nlines']);
  const list = (await api(viewer, 'GET', '/api/tables')).json().items;
  t.like(
    list.find((x: { name: string }) => x.name === 'cpt-to-gl'),
    { version: 2, columns: ['code', 'gl_account', 'cost_center'], rows: 4, updatedBy: 'ana.tables' },
  );
});

test.serial('export gives back the bytes imported (CRLF line ends), as an attachment', async (t) => {
  const v1 = await api(viewer, 'GET', '/api/tables/cpt-to-gl/csv?version=1');
  t.is(v1.statusCode, 200);
  t.is(v1.headers['content-type'], 'text/csv; charset=utf-8');
  t.is(v1.headers['content-disposition'], 'attachment; filename="cpt-to-gl-v1.csv"');
  t.is(v1.body, V1);
  const latest = await api(viewer, 'GET', '/api/tables/cpt-to-gl/csv');
  t.is(latest.body.replace(/\r\n(?=\d|$)/g, '\n'), V2, 'the same file, its line ends normalised');
});

test.serial('an invalid CSV file gets a 400 problem naming the line; a viewer cannot write', async (t) => {
  const bad = await importCsv(analyst, 'cpt-to-gl', 'code,gl_account,cost_center\n1,2,3\n1,4,5\n7,8\n');
  t.is(bad.statusCode, 400);
  t.is(bad.headers['content-type'], 'application/problem+json; charset=utf-8');
  const problem = bad.json();
  t.like(problem, { type: 'https://switchboard.dev/problems/table-invalid', status: 400, code: 'CONFIG_INVALID' });
  t.deepEqual(
    problem.problems.map((p: { line: number; message: string }) => p.message),
    ['line 3: key 1 repeats line 2', 'line 4: 2 values, the header has 3'],
  );
  t.notRegex(bad.body, /at .*\.ts|stack/i, 'no stack trace');
  const unclosed = await importCsv(analyst, 'other', 'code,gl\n1,"open\n');
  t.is(unclosed.json().detail, 'line 2: a quoted value is not closed');
  t.is((await api(analyst, 'GET', '/api/tables/other')).statusCode, 404, 'nothing saved');

  t.is((await importCsv(viewer, 'cpt-to-gl', V1)).statusCode, 403);
  t.is(
    (await api(viewer, 'POST', '/api/tables', { name: 'x', columns: ['a', 'b'], rows: [], onMissing: { error: true } })).statusCode,
    403,
  );
  t.is((await api(analyst, 'GET', '/api/tables/cpt-to-gl/diff?from=1&to=9')).statusCode, 404);
  t.is((await api(analyst, 'PUT', '/api/tables/cpt-to-gl/csv', { not: 'csv' })).statusCode, 415);
});

test.serial('a table saved as JSON: problems with paths; its default kept by a later CSV import', async (t) => {
  const table = { name: 'dept-to-cc', columns: ['dept', 'cost_center'], rows: [['4W', 'CC4']], onMissing: { default: { dept: '?' } } };
  const bad = await api(analyst, 'POST', '/api/tables', table);
  t.is(bad.statusCode, 400);
  t.deepEqual(bad.json().problems, [{ path: '/onMissing/default/dept', message: 'the key column has no default' }]);
  const good = await api(analyst, 'POST', '/api/tables?comment=first', { ...table, onMissing: { default: { cost_center: 'CC0' } } });
  t.is(good.statusCode, 201);
  t.like(good.json(), { version: 1, origin: 'console', comment: 'first' });
  t.is((await importCsv(analyst, 'dept-to-cc', 'dept,cost_center\n4W,CC4\n5E,CC5\n')).json().version, 2);
  t.deepEqual((await api(viewer, 'GET', '/api/tables/dept-to-cc')).json().definition.onMissing, { default: { cost_center: 'CC0' } });
});

test.serial('every version is audited as a configuration change with what changed', async (t) => {
  const audited = (await api(sb.adminHeaders, 'GET', '/api/audit?action=config.change&actor=ana.tables')).json().items as {
    target: string;
    details: { origin: string; diff: { changed: { key: string }[]; added: string[] } };
  }[];
  t.deepEqual(audited.map((e) => e.target).sort(), ['table:cpt-to-gl@1', 'table:cpt-to-gl@2', 'table:dept-to-cc@1', 'table:dept-to-cc@2']);
  const v2 = audited.find((e) => e.target === 'table:cpt-to-gl@2')!;
  t.is(v2.details.origin, 'import');
  t.deepEqual(
    v2.details.diff.changed.map((c) => c.key),
    ['99214'],
  );
  t.deepEqual(v2.details.diff.added, ['99216']);
});
