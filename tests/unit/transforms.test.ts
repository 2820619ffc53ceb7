import test from 'ava';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { decodeBytes, parseMessage } from '../../engine/hl7v2/index.ts';
import { SwitchboardError } from '../../engine/errors.ts';
import { transforms } from '../../transforms/index.ts';
import { corpusCase, requireShared } from '../support/shared.ts';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/transforms');
const run = (id: string, bytes: Buffer) => transforms.get(id)!.run(parseMessage(decodeBytes(bytes).text), { channelId: 'fixture' });

test('every shipped transform has fixtures, and each fixture gives its expected canonical output', async (t) => {
  for (const id of transforms.keys()) {
    const dir = path.join(FIXTURES, id);
    const inputs = (await readdir(dir)).filter((f) => f.endsWith('.hl7'));
    t.true(inputs.length > 0, `${id} has fixtures`);
    for (const input of inputs) {
      const expected = JSON.parse(await readFile(path.join(dir, input.replace(/\.hl7$/, '.expected.json')), 'utf8'));
      t.deepEqual(run(id, await readFile(path.join(dir, input))), expected, `${id}/${input}`);
    }
  }
});

test('the DFT^P03 of the corpus gives three ChargeEvents with the site cost center and GL account', async (t) => {
  if (!requireShared(t)) return;
  const events = run('hl7v2.dft-to-charges', (await corpusCase('008-dft-p03-charges')).bytes);
  t.deepEqual(events.map((e) => e.code), ['27447', 'C1776', 'SUP-88231']);
  t.deepEqual(events.map((e) => e.quantity), [1, 1, 6]);
  t.true(events.every((e) => e.costCenter === 'COSTCTR-4410' && e.glAccount === 'GL-5100-200'));
  t.true(events.every((e) => (e.encounter as { visitNumber: string }).visitNumber === 'V00098765'));
});

test('a missing required source names the target field and the path', (t) => {
  const dft = `MSH|^~\\&|A|B|C|D|20260101||DFT^P03|X|P|2.5.1\rPID|1||1^^^H^MR\rPV1|1|O${'|'.repeat(17)}V1\rFT1|1|||20260101||CG\r`;
  const err = t.throws(() => run('hl7v2.dft-to-charges', Buffer.from(dft)), { instanceOf: SwitchboardError });
  t.is(err!.code, 'TRANSFORM_FAILED');
  t.regex(err!.message, /code is required but FT1\(1\)-7\.1 is empty/);
});
