import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startTestEngine, testChannel } from '../support/harness.ts';
import { sharedMongoUrl } from '../support/services.ts';
import { REPO_ROOT } from '../support/shared.ts';

const cli = (args: string[], db: string) =>
  promisify(execFile)(process.execPath, [path.join(REPO_ROOT, 'bin/switchboard.js'), 'tables', ...args], {
    env: { ...process.env, MONGODB_URL: sharedMongoUrl(), MONGODB_DB: db },
  }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );

const CSV = 'dept,cost_center\r\n4W,CC4\r\n"5E, east",CC5\r\n';

test('tables import, list and export on the command line: versions and audit as the API makes them', async (t) => {
  const sb = await startTestEngine({ channels: [testChannel({ erpUrl: 'http://127.0.0.1:9' })] });
  t.teardown(() => sb.close());
  const db = sb.config.MONGODB_DB;
  const dir = await mkdtemp(path.join(tmpdir(), 'sb-tables-'));
  const file = path.join(dir, 'dept.csv');
  await writeFile(file, CSV);

  const first = await cli(['import', 'dept-to-cc', file, '--actor', 'tester'], db);
  t.is(first.code, 0, first.stderr);
  t.regex(first.stdout, /table dept-to-cc version 1\n/);
  t.regex((await cli(['import', 'dept-to-cc', file], db)).stdout, /version 1 \(unchanged\)/);
  const bad = path.join(dir, 'bad.csv');
  await writeFile(bad, 'dept,cost_center\n4W,CC4,extra\n');
  const refused = await cli(['import', 'dept-to-cc', bad], db);
  t.is(refused.code, 1);
  t.regex(refused.stderr, /bad\.csv: line 2: 3 values, the header has 2/);

  const listed = await cli(['list', '--json'], db);
  t.like(JSON.parse(listed.stdout).items[0], { name: 'dept-to-cc', version: 1, columns: ['dept', 'cost_center'], rows: 2 });
  t.is((await cli(['export', 'dept-to-cc'], db)).stdout, CSV.replace(/\r\n$/, '\n'));
  const out = path.join(dir, 'out.csv');
  t.is((await cli(['export', 'dept-to-cc', '--version', '1', '--out', out], db)).code, 0);
  t.is(await readFile(out, 'utf8'), CSV, 'the same bytes');
  t.is((await cli(['export', 'no-such-table'], db)).code, 1);
  t.is((await cli(['export'], db)).code, 2);

  const api = await sb.engine.http!.inject({ method: 'GET', url: '/api/tables/dept-to-cc', headers: sb.adminHeaders });
  t.like(api.json(), { version: 1, origin: 'import', author: 'cli:tester' });
  const audit = (await sb.engine.http!.inject({ method: 'GET', url: '/api/audit?action=config.change', headers: sb.adminHeaders })).json();
  t.true(audit.items.some((e: { actor: string; target: string }) => e.actor === 'cli:tester' && e.target === 'table:dept-to-cc@1'));
});
