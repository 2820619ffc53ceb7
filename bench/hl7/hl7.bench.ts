/**
 * bench/hl7: our codec beside hl7-standard, simple-hl7, node-hl7-client and @medplum/core, in the
 * same run over the same messages (the valid corpus cases and the 139 fhir-converter messages):
 * - full parse: parse, then read every field of every segment through the reader's own `get`
 *   (`SEG(n)-f`), so that a lazy reader pays for what it deferred,
 * - header-only: what the ACK and routing path needs (others have no header-only read: parse + MSH-10),
 * - encode: write back a parsed message;
 * and whether each passes the corpus (every expected value read back, every invalid case refused).
 * Usage: node --import tsx bench/hl7/hl7.bench.ts [--quick]. Writes bench/results/hl7.json.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeBytes } from '../../hl7v2/index.ts';
import { readers, type Reader } from './peers.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const corpus = path.resolve(root, '../shared/hl7-corpus');
const quick = process.argv.includes('--quick');
const rounds = quick ? 5 : 100;

const caseNames = (await readdir(corpus))
  .filter((f) => /^\d{3}-.*\.hl7$/.test(f))
  .map((f) => f.slice(0, -4))
  .sort();
const cases = await Promise.all(
  caseNames.map(async (name) => ({
    name,
    text: decodeBytes(await readFile(path.join(corpus, `${name}.hl7`))).text,
    expect: JSON.parse(await readFile(path.join(corpus, `${name}.expect.json`), 'utf8')) as {
      valid: boolean;
      batch?: boolean;
      values?: Record<string, string>;
      sameValuesAs?: string;
    },
  })),
);
const peerDir = path.join(corpus, 'peer/fhir-converter');
const peers = await Promise.all(
  (await readdir(peerDir))
    .filter((f) => f.endsWith('.hl7'))
    .map(async (f) => decodeBytes(await readFile(path.join(peerDir, f))).text.replace(/^\uFEFF/, '')),
);
const messages = [...cases.filter((c) => c.expect.valid && !c.expect.batch).map((c) => c.text), ...peers];
const totalBytes = messages.reduce((n, m) => n + Buffer.byteLength(m), 0);
/** Every field of every segment of each message, as paths, computed once outside the timing. */
const fieldPaths = new Map(
  messages.map((m) => {
    const counts = new Map<string, number>();
    const paths = m
      .split(/\r\n|\r|\n/)
      .filter((l) => l.trim())
      .flatMap((line) => {
        const name = line.trimStart().slice(0, 3);
        const n = (counts.get(name) ?? 0) + 1;
        counts.set(name, n);
        const fields = line.split(line.trimStart()[3] ?? '|').length - 1;
        return Array.from({ length: fields }, (_, i) => `${name}(${n})-${name === 'MSH' ? i + 2 : i + 1}`);
      });
    return [m, paths] as const;
  }),
);

/** Runs `op` over every message `rounds` times; µs per message and MB/s. Messages a reader throws on still count. */
function measure(op: (text: string) => unknown, inputs: string[]): { usPerMessage: number; mbPerSecond: number; errors: number } {
  let errors = 0;
  for (const m of inputs) {
    try {
      op(m);
    } catch {
      errors++;
    }
  }
  const start = process.hrtime.bigint();
  for (let r = 0; r < rounds; r++) {
    for (const m of inputs) {
      try {
        op(m);
      } catch {
        // counted above
      }
    }
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const n = rounds * inputs.length;
  return {
    usPerMessage: Number(((seconds / n) * 1e6).toFixed(2)),
    mbPerSecond: Number(((totalBytes * rounds) / seconds / 1e6).toFixed(1)),
    errors,
  };
}

function corpusChecks(reader: Reader): { passed: number; total: number; failures: string[] } {
  let passed = 0;
  let total = 0;
  const failures: string[] = [];
  const byName = new Map(cases.map((c) => [c.name, c]));
  for (const c of cases) {
    if (c.expect.batch) continue;
    if (!c.expect.valid) {
      total++;
      let refused = false;
      try {
        reader.parse(c.text);
      } catch {
        refused = true;
      }
      if (refused) passed++;
      else failures.push(`${c.name}: accepted invalid input`);
      continue;
    }
    const values = c.expect.sameValuesAs ? (byName.get(c.expect.sameValuesAs)!.expect.values ?? {}) : (c.expect.values ?? {});
    let parsed: unknown;
    try {
      parsed = reader.parse(c.text);
    } catch {
      total += Object.keys(values).length;
      failures.push(`${c.name}: parse failed`);
      continue;
    }
    for (const [p, v] of Object.entries(values)) {
      total++;
      let got: string;
      try {
        got = reader.get(parsed, p);
      } catch {
        got = '<not expressible>';
      }
      if (got === v) passed++;
      else failures.push(`${c.name} ${p}: expected ${JSON.stringify(v)}, got ${JSON.stringify(got)}`);
    }
  }
  return { passed, total, failures };
}

const results = readers.map((reader) => {
  const parsedOnce = messages.map((m) => {
    try {
      return reader.parse(m);
    } catch {
      return undefined;
    }
  });
  const full = measure((m) => {
    const parsed = reader.parse(m);
    for (const p of fieldPaths.get(m)!) {
      try {
        reader.get(parsed, p);
      } catch {
        // a path the reader cannot express: it does less work, never more
      }
    }
  }, messages);
  const header = measure((m) => reader.headerOnly(m), messages);
  const encodeInputs = parsedOnce.filter((p) => p !== undefined);
  let i = 0;
  const encode = measure(
    () => reader.encode(encodeInputs[i++ % encodeInputs.length]),
    encodeInputs.map(() => ''),
  );
  const corpusResult = corpusChecks(reader);
  return { reader: reader.name, full, header, encode, corpus: { ...corpusResult, passes: corpusResult.passed === corpusResult.total } };
});

const ours = results[0]!;
console.log(`\nbench/hl7: ${messages.length} messages, ${(totalBytes / 1024).toFixed(0)} KiB, ${rounds} rounds`);
console.log('reader          | full parse µs/msg | MB/s  | vs ours | header-only µs | encode µs | corpus checks | passes');
for (const r of results) {
  const ratio = (r.full.usPerMessage / ours.full.usPerMessage).toFixed(1);
  const cells = [
    r.reader.padEnd(15),
    String(r.full.usPerMessage).padStart(17),
    String(r.full.mbPerSecond).padStart(5),
    `${ratio}×`.padStart(7),
    String(r.header.usPerMessage).padStart(14),
    String(r.encode.usPerMessage).padStart(9),
    `${r.corpus.passed}/${r.corpus.total}`.padStart(13),
    r.corpus.passes ? 'yes' : 'no',
  ];
  console.log(cells.join(' | '));
}
await mkdir(path.join(root, 'bench/results'), { recursive: true });
await writeFile(
  path.join(root, 'bench/results/hl7.json'),
  JSON.stringify({ at: new Date().toISOString(), rounds, messages: messages.length, results }, null, 2),
);
