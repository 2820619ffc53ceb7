import test from 'ava';
import fc from 'fast-check';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  decodeBytes,
  escapeValue,
  Hl7ParseError,
  parseBatch,
  parseMessage,
  readHeader,
  unescapeValue,
  type Delimiters,
} from '../../hl7v2/index.ts';
import { CORPUS, hasShared } from '../support/shared.ts';

// Read before any test is declared (ava wants declarations synchronous after this point).
const seeds = hasShared
  ? await Promise.all((await readdir(CORPUS)).filter((f) => f.endsWith('.hl7')).map((f) => readFile(path.join(CORPUS, f))))
  : [Buffer.from('MSH|^~\\&|A|B|C|D|20260101||ADT^A01|1|P|2.5.1\rPID|1||1\r')];

const SEPARATORS = [...'|^~\\&#$*@!%+:;?/=<>{}[]`\'"'];

/** Five distinct separator characters in MSH-1/MSH-2 order, as a sender may declare them. */
const delimiters = fc
  .shuffledSubarray(SEPARATORS, { minLength: 5, maxLength: 5 })
  .map(([field, component, repetition, escape, subcomponent]): Delimiters => ({
    field: field!,
    component: component!,
    repetition: repetition!,
    escape: escape!,
    subcomponent: subcomponent!,
    segment: '\r',
  }));

test('for random delimiters and values, decode(encode(v)) = v', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(
        delimiters,
        fc.string({ unit: fc.constantFrom(...SEPARATORS, 'a', 'Z', '0', ' ', 'é', '\r', '\n', 'X', 'E') }),
        (d, value) => {
          const encoded = escapeValue(value, d);
          return (
            unescapeValue(encoded, d) === value &&
            ![d.field, d.component, d.repetition, d.subcomponent, '\r', '\n'].some((c) => encoded.includes(c))
          );
        },
      ),
      { numRuns: 2000 },
    ),
  );
});

test('for random messages, encode(parse(m)) = m, and each value reads back through its path', (t) => {
  const text = fc.string({ unit: fc.constantFrom('a', 'B', '7', ' ', '.', '-'), minLength: 1, maxLength: 8 });
  t.notThrows(() =>
    fc.assert(
      fc.property(
        delimiters,
        fc.array(
          fc.tuple(
            fc.constantFrom('PID', 'PV1', 'OBX', 'ZFT', 'NTE', 'FT1'),
            fc.array(fc.array(fc.array(text, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 3 }), { maxLength: 6 }),
          ),
          { maxLength: 6 },
        ),
        text,
        (d, segments, controlId) => {
          const enc = `${d.component}${d.repetition}${d.escape}${d.subcomponent}`;
          const msh = [
            'MSH',
            enc,
            'APP',
            'FAC',
            'RAPP',
            'RFAC',
            '20260101120000',
            '',
            `ADT${d.component}A01`,
            controlId,
            'P',
            '2.5.1',
          ].join(d.field);
          const lines = segments.map(([name, fields]) =>
            [name, ...fields.map((reps) => reps.map((comps) => comps.join(d.component)).join(d.repetition))].join(d.field),
          );
          const message = `${[msh, ...lines].join('\r')}\r`;
          const parsed = parseMessage(message);
          if (parsed.encode() !== message) return false;
          if (parsed.get('MSH-10') !== controlId) return false;
          const counts = new Map<string, number>();
          return segments.every(([name, fields]) => {
            const n = (counts.get(name) ?? 0) + 1;
            counts.set(name, n);
            return fields.every((reps, f) =>
              reps.every((comps, r) => comps.every((v, c) => parsed.get(`${name}(${n})-${f + 1}[${r + 1}].${c + 1}`) === v)),
            );
          });
        },
      ),
      { numRuns: 500 },
    ),
  );
});

test('mutated corpus inputs end in a message or the codec error, never another exception', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(
        fc.constantFrom(...seeds),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('replace', 'insert', 'delete')), {
          minLength: 1,
          maxLength: 8,
        }),
        (seed, edits) => {
          const bytes = [...seed];
          for (const [at, byte, kind] of edits) {
            const i = bytes.length === 0 ? 0 : at % bytes.length;
            if (kind === 'replace' && bytes.length > 0) bytes[i] = byte;
            else if (kind === 'insert') bytes.splice(i, 0, byte);
            else bytes.splice(i, 1);
          }
          const text = decodeBytes(Uint8Array.from(bytes)).text;
          for (const read of [parseMessage, readHeader, parseBatch]) {
            try {
              read(text);
            } catch (err) {
              if (!(err instanceof Hl7ParseError)) throw err;
            }
          }
          return true;
        },
      ),
      { numRuns: 3000 },
    ),
  );
});
