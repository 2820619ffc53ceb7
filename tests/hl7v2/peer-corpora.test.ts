import test from 'ava';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { decodeBytes, Hl7ParseError, parseMessage } from '../../hl7v2/index.ts';
import { hasShared, MISSING_SHARED, SHARED } from '../support/shared.ts';

const PEER = path.join(SHARED, 'hl7-corpus/peer');
const list = async (dir: string) => (hasShared ? (await readdir(path.join(PEER, dir))).filter((f) => f.endsWith('.hl7')).sort() : []);
const converter = await list('fhir-converter');
const nhapi = await list('nhapi-bad-inputs');

if (!hasShared) test('peer corpora need ../shared', (t) => t.fail(MISSING_SHARED));

/** Segments and their fields, as the file has them: the reference the re-encoding must give back. */
function segmentsOf(text: string): string[][] {
  const lines = text
    .replace(/^\uFEFF/, '')
    .split(/\r\n|\r|\n/)
    .filter((l) => l.trim() !== '');
  const sep = lines[0]!.trimStart()[3]!;
  return lines.map((l, i) => (i === 0 ? l.trimStart() : l).split(sep));
}

if (hasShared) {
  test(`fhir-converter: all ${converter.length} messages read and re-encode to the same segments and fields`, async (t) => {
    t.is(converter.length, 139);
    for (const file of converter) {
      const { text } = decodeBytes(await readFile(path.join(PEER, 'fhir-converter', file)));
      const message = parseMessage(text);
      t.deepEqual(segmentsOf(message.encode()), segmentsOf(text), file);
    }
  });

  test(`nhapi-bad-inputs: each of ${nhapi.length} ends in a message or the codec's error`, async (t) => {
    t.is(nhapi.length, 37);
    for (const file of nhapi) {
      const bytes = await readFile(path.join(PEER, 'nhapi-bad-inputs', file));
      try {
        const m = parseMessage(decodeBytes(bytes).text);
        t.truthy(m.header.controlId, file);
      } catch (err) {
        t.true(err instanceof Hl7ParseError, `${file}: ${(err as Error).name}`);
      }
    }
  });
}
