import test from 'ava';
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../support/shared.ts';

const run = promisify(execFile);
const AVA = path.join(REPO_ROOT, 'node_modules/ava/entrypoints/cli.mjs');
/** Test files that read ../shared and need nothing else (no services). */
const NEEDS_SHARED = [
  'tests/hl7v2/corpus.test.ts',
  'tests/hl7v2/peer-corpora.test.ts',
  'tests/hl7v2/python-hl7-differential.test.ts',
  'tests/unit/transforms.test.ts',
];

test('without ../shared the tests that read it fail, naming what is missing; none of them counts as passed', async (t) => {
  const env = { ...process.env, SWITCHBOARD_SHARED_DIR: path.join(REPO_ROOT, 'var/no-such-shared') };
  const result = await run(process.execPath, [AVA, '--timeout=120s', ...NEEDS_SHARED], { cwd: REPO_ROOT, env, maxBuffer: 16 << 20 }).then(
    (r) => ({ code: 0, out: r.stdout + r.stderr }),
    (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, out: err.stdout + err.stderr }),
  );
  const out = result.out.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
  t.not(result.code, 0, 'ava exits non-zero');
  t.regex(out, /\.\.\/shared not found at .*no-such-shared/);
  for (const file of NEEDS_SHARED) {
    const prefix = file
      .replace(/^tests\//, '')
      .replace(/\.test\.ts$/, '')
      .split('/')
      .join(' › ');
    t.true(
      out.split('\n').some((l) => l.includes('✘') && l.includes(prefix)),
      `${file}: a failed test`,
    );
  }
});

test('no test ends in a bare t.pass(): a missing prerequisite fails or is registered as skipped', async (t) => {
  const offenders: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.name.endsWith('.ts')) {
        const lines = (await readFile(full, 'utf8')).split('\n');
        lines.forEach((line, i) => {
          if (/(^\s*|return |=> )t\.pass\(\)/.test(line)) offenders.push(`${path.relative(REPO_ROOT, full)}:${i + 1}`);
        });
      }
    }
  };
  await walk(path.join(REPO_ROOT, 'tests'));
  t.deepEqual(offenders, []);
});
