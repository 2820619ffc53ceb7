import test from 'ava';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { decodeBytes, Hl7ParseError, isBatch, parseBatch, parseMessage, readHeader, type Hl7Message } from '../../hl7v2/index.ts';
import { CORPUS, hasShared, MISSING_SHARED } from '../support/shared.ts';

interface Expect {
  valid: boolean;
  values?: Record<string, string>;
  rawValues?: Record<string, string>;
  repetitionCounts?: Record<string, number>;
  segmentCounts?: Record<string, number>;
  explicitNull?: string[];
  notPresent?: string[];
  segments?: string[];
  sameValuesAs?: string;
  roundTrip?: 'exact' | 'normalized-cr';
  batch?: boolean;
  messages?: Record<string, string>[];
  delimiters?: Record<string, string>;
}

const names = hasShared
  ? (await readdir(CORPUS))
      .filter((f) => /^\d{3}-.*\.hl7$/.test(f))
      .map((f) => f.slice(0, -4))
      .sort()
  : [];
const load = async (name: string) => ({
  bytes: await readFile(path.join(CORPUS, `${name}.hl7`)),
  expect: JSON.parse(await readFile(path.join(CORPUS, `${name}.expect.json`), 'utf8')) as Expect,
});

if (!hasShared) test('corpus needs ../shared', (t) => t.fail(MISSING_SHARED));

function checkValues(t: import('ava').ExecutionContext, m: Hl7Message, values: Record<string, string>, name: string) {
  for (const [p, v] of Object.entries(values)) t.is(m.get(p), v, `${name} ${p}`);
}

for (const name of names) {
  test(`corpus ${name}`, async (t) => {
    const { bytes, expect } = await load(name);
    const { text } = decodeBytes(bytes);
    if (!expect.valid) {
      const err = t.throws(() => parseMessage(text), { instanceOf: Hl7ParseError });
      t.truthy(err?.reason);
      if (!(bytes.length === 0)) t.throws(() => (readHeader(text), parseMessage(text)), { instanceOf: Hl7ParseError });
      return;
    }
    if (expect.batch) {
      t.true(isBatch(text));
      const batch = parseBatch(text);
      t.deepEqual(batch.problems, []);
      t.is(batch.messages.length, expect.messages!.length);
      expect.messages!.forEach((values, i) => checkValues(t, batch.messages[i]!, values, `${name} message ${i + 1}`));
      const envelope: Record<string, string> = {
        'FHS-11': batch.fileHeader?.field(11) ?? '',
        'BHS-11': batch.batchHeader?.field(11) ?? '',
      };
      for (const key of Object.keys(envelope)) if (expect.values?.[key]) t.is(envelope[key], expect.values[key]);
      return;
    }
    const m = parseMessage(text);
    const values = expect.sameValuesAs ? (await load(expect.sameValuesAs)).expect.values! : (expect.values ?? {});
    checkValues(t, m, values, name);
    for (const [p, v] of Object.entries(expect.rawValues ?? {})) t.is(m.getRaw(p), v, `${name} raw ${p}`);
    for (const [p, n] of Object.entries(expect.repetitionCounts ?? {})) t.is(m.repetitionCount(p), n, `${name} repetitions ${p}`);
    for (const [s, n] of Object.entries(expect.segmentCounts ?? {})) t.is(m.segments(s).length, n, `${name} count ${s}`);
    for (const p of expect.explicitNull ?? []) t.true(m.isNull(p), `${name} null ${p}`);
    for (const p of expect.notPresent ?? []) t.is(m.get(p), '', `${name} absent ${p}`);
    if (expect.segments) t.deepEqual(m.segmentNames(), expect.segments);
    if (expect.delimiters) {
      const { segment: _s, ...d } = m.delimiters;
      t.deepEqual(d, expect.delimiters);
    }
    if (expect.roundTrip === 'exact') t.is(m.encode(), text, `${name} exact round trip`);
    if (expect.roundTrip === 'normalized-cr') {
      t.is(
        m.encode(),
        text
          .trim()
          .split(/\r\n|\r|\n/)
          .map((l) => l.trimStart())
          .filter(Boolean)
          .join('\r') + '\r',
      );
    }
    const h = readHeader(text);
    t.is(h.controlId, m.get('MSH-10'));
  });
}
