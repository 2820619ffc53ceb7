/**
 * bench/mappings: what analysts' data mappings cost beside the TypeScript transforms they replace,
 * measured in the same run, in rounds (the host is shared), reported as ratios:
 * - run: every shipped transform and its data form (exported, then compiled: the same expression
 *   objects) over every fixture and every corpus message they accept; the ratio data ÷ TypeScript;
 * - compile: compiling a data mapping (what each engine process does once per pinned version at a
 *   deploy), per mapping;
 * - lookup: a lookup in a 100,000-row table, the first (which builds its index) and the steady state.
 * Usage: node --import tsx bench/mappings/mappings.bench.ts [--quick]. Writes bench/results/mappings.json.
 */
import os from 'node:os';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeBytes } from '../../hl7v2/index.ts';
import type { Transform } from '../../transforms/dsl/define-transform.ts';
import { transforms } from '../../transforms/index.ts';
import { lookupValue, type LookupTable } from '../../transforms/lookups/lookup-table.ts';
import { shippedTables } from '../../transforms/lookups/shipped-tables.ts';
import { compileMapping } from '../../transforms/mapping/compile-mapping.ts';
import { exportTransform } from '../../transforms/mapping/mapping-export.ts';
import { fixtureSource, readSample } from '../../transforms/mapping/mapping-fixtures.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const quick = process.argv.includes('--quick');
const rounds = quick ? 3 : 7;

/** Every sample a transform accepts: its fixtures, and the corpus messages (and FHIR samples) of its types. */
async function samples(t: Transform): Promise<string[]> {
  const dir = path.join(root, 'tests/fixtures/transforms', t.id);
  const fixtures = (await readdir(dir)).filter((f) => !f.endsWith('.expected.json')).map((f) => path.join(dir, f));
  const shared = path.join(root, '../shared', t.input === 'hl7' ? 'hl7-corpus' : 'fhir-samples');
  const more = (await readdir(shared).catch(() => [] as string[])).filter((f) => f.endsWith(t.input === 'hl7' ? '.hl7' : '.json'));
  const texts = await Promise.all(
    [...fixtures, ...more.map((f) => path.join(shared, f))].map(async (f) => decodeBytes(await readFile(f)).text),
  );
  return texts.filter((text) => {
    try {
      const input = readSample(t.input, text);
      return t.accepts.includes(fixtureSource(input).messageType);
    } catch {
      return false;
    }
  });
}

function timeRuns(t: Transform, inputs: ReturnType<typeof prepared>, repeat: number): number {
  const start = process.hrtime.bigint();
  for (let r = 0; r < repeat; r++) for (const { input, source } of inputs) t.tryRun(input, source);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const prepared = (t: Transform, texts: string[]) =>
  texts.map((text) => {
    const input = readSample(t.input, text);
    return { input, source: fixtureSource(input) };
  });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const run: { transform: string; samples: number; typescriptMs: number; dataMs: number; ratio: number }[] = [];
for (const shipped of transforms.values()) {
  const compiled = compileMapping(exportTransform(shipped), shipped.version, shippedTables);
  if (!compiled.ok) throw new Error(`${shipped.id}: ${compiled.problems[0]!.message}`);
  const inputs = prepared(shipped, await samples(shipped));
  const repeat = Math.max(1, Math.round((quick ? 2_000 : 20_000) / Math.max(1, inputs.length)));
  const ts: number[] = [];
  const data: number[] = [];
  timeRuns(shipped, inputs, repeat); // warm both before timing
  timeRuns(compiled.transform, inputs, repeat);
  for (let r = 0; r < rounds; r++) {
    // Alternate which goes first, so neither always runs on a cooler or hotter machine.
    if (r % 2 === 0) ts.push(timeRuns(shipped, inputs, repeat));
    data.push(timeRuns(compiled.transform, inputs, repeat));
    if (r % 2 === 1) ts.push(timeRuns(shipped, inputs, repeat));
  }
  run.push({
    transform: shipped.id,
    samples: inputs.length * repeat,
    typescriptMs: median(ts),
    dataMs: median(data),
    ratio: median(data) / median(ts),
  });
}

const compileTimes: number[] = [];
for (let r = 0; r < rounds; r++) {
  const start = process.hrtime.bigint();
  let n = 0;
  for (const t of transforms.values()) {
    compileMapping(exportTransform(t), t.version, shippedTables);
    n++;
  }
  compileTimes.push(Number(process.hrtime.bigint() - start) / 1e6 / n);
}

const rows = Array.from({ length: 100_000 }, (_, i) => [`CODE${i}`, `GL${i % 997}`, `CC${i % 31}`]);
const big: LookupTable = { name: 'big', version: 1, columns: ['code', 'gl_account', 'cost_center'], rows, onMissing: { error: true } };
const firstStart = process.hrtime.bigint();
lookupValue(big, 'CODE5');
const firstLookupMs = Number(process.hrtime.bigint() - firstStart) / 1e6;
const steady: number[] = [];
for (let r = 0; r < rounds; r++) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < 1_000_000; i++) lookupValue(big, `CODE${i % 100_000}`);
  steady.push(Number(process.hrtime.bigint() - start) / 1e6 / 1_000_000);
}

const result = {
  at: new Date().toISOString(),
  quick,
  machine: `${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, Node ${process.version}, load average ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
  rounds,
  run,
  compileMsPerMapping: median(compileTimes),
  lookup100k: { firstMs: firstLookupMs, steadyNsPerLookup: median(steady) * 1e6 },
};
for (const r of run) {
  const ms = `${r.typescriptMs.toFixed(0)} vs ${r.dataMs.toFixed(0)} ms`;
  console.log(`${r.transform.padEnd(36)} data ÷ TypeScript ${r.ratio.toFixed(2)} (${r.samples} runs; ${ms})`);
}
console.log(`compile: ${result.compileMsPerMapping.toFixed(2)} ms per mapping`);
console.log(
  `lookup in 100,000 rows: first ${firstLookupMs.toFixed(1)} ms (index), then ${result.lookup100k.steadyNsPerLookup.toFixed(0)} ns`,
);
console.log(result.machine);
await mkdir(path.join(root, 'bench/results'), { recursive: true });
await writeFile(path.join(root, 'bench/results/mappings.json'), `${JSON.stringify(result, null, 2)}\n`);
