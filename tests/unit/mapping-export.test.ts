import test from 'ava';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { transforms } from '../../transforms/index.ts';
import { shippedTables } from '../../transforms/lookups/shipped-tables.ts';
import { compileMapping } from '../../transforms/mapping/compile-mapping.ts';
import { exportTransform } from '../../transforms/mapping/mapping-export.ts';
import { fixtureSource, readSample, runFixtures } from '../../transforms/mapping/mapping-fixtures.ts';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/transforms');

/** Each input fixture of a shipped transform (`*.hl7` or a FHIR `*.json` beside its `*.expected.json`). */
async function fixturesOf(id: string): Promise<{ name: string; text: string }[]> {
  const files = (await readdir(path.join(FIXTURES, id))).filter((f) => !f.endsWith('.expected.json')).sort();
  return Promise.all(files.map(async (name) => ({ name, text: await readFile(path.join(FIXTURES, id, name), 'utf8') })));
}

test('every shipped TypeScript transform, exported to the data form and compiled, gives identical output on every fixture', async (t) => {
  let compared = 0;
  for (const shipped of transforms.values()) {
    const exported = exportTransform(shipped);
    const compiled = compileMapping(JSON.parse(JSON.stringify(exported)), shipped.version, shippedTables);
    if (!compiled.ok) {
      t.fail(`${shipped.id}: ${compiled.problems.map((p) => `${p.path} ${p.message}`).join('; ')}`);
      continue;
    }
    t.deepEqual(compiled.transform.rows, shipped.rows, `${shipped.id}: the same rows`);
    for (const f of await fixturesOf(shipped.id)) {
      const input = readSample(shipped.input, f.text);
      const source = fixtureSource(input);
      t.deepEqual(compiled.transform.tryRun(input, source), shipped.tryRun(input, source), `${shipped.id} ${f.name}`);
      compared++;
    }
  }
  t.true(compared >= transforms.size, `${compared} fixtures compared`);
});

test('an exported transform carries its fixtures, and each passes when run as a data mapping', async (t) => {
  const shipped = transforms.get('hl7v2.dft-to-charges')!;
  const [fixture] = await fixturesOf(shipped.id);
  const expected = JSON.parse(
    await readFile(path.join(FIXTURES, shipped.id, fixture!.name.replace(/\.[a-z0-9]+$/, '.expected.json')), 'utf8'),
  ) as Record<string, unknown>[];
  const def = exportTransform(shipped, [{ name: 'corpus DFT', input: fixture!.text, expected: expected.map(({ source: _s, ...e }) => e) }]);
  const compiled = compileMapping(def, 2, shippedTables);
  if (!compiled.ok) return t.fail(compiled.problems[0]!.message);
  const [result] = runFixtures(compiled.transform, def.fixtures);
  t.true(result!.passed, JSON.stringify(result!.changes));
  // The same fixture against a changed expectation fails, naming the field.
  const [first, ...rest] = def.fixtures[0]!.expected;
  const changed = { ...def.fixtures[0]!, expected: [{ ...first, code: 'OTHER' }, ...rest] };
  const [failing] = runFixtures(compiled.transform, [changed]);
  t.false(failing!.passed);
  t.deepEqual(
    failing!.changes.map((c) => c.path),
    ['code'],
  );
});
