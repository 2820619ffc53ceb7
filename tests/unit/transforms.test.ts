import test from 'ava';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { decodeBytes, parseMessage } from '../../hl7v2/index.ts';
import { transforms } from '../../transforms/index.ts';
import type { TransformInput } from '../../transforms/dsl/expression.ts';
import { TransformError } from '../../transforms/dsl/transform-errors.ts';
import { corpusCase, requireShared, SHARED } from '../support/shared.ts';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/transforms');

/** Parses a fixture or sample the way intake does, with the engine's source envelope. */
function input(
  file: string,
  bytes: Buffer,
): {
  input: TransformInput;
  source: { channelId: string; messageType: string; controlId: string; sendingApplication: string; sendingFacility: string };
} {
  if (file.endsWith('.json')) {
    const resource = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
    return {
      input: { kind: 'fhir', resource },
      source: {
        channelId: 'fixture',
        messageType: String(resource.resourceType),
        controlId: 'fixture-1',
        sendingApplication: 'fixture',
        sendingFacility: '',
      },
    };
  }
  const message = parseMessage(decodeBytes(bytes).text);
  const h = message.header;
  return {
    input: { kind: 'hl7', message },
    source: {
      channelId: 'fixture',
      messageType: `${h.messageType}^${h.triggerEvent}`,
      controlId: h.controlId,
      sendingApplication: h.sendingApplication,
      sendingFacility: h.sendingFacility,
    },
  };
}
const run = (id: string, file: string, bytes: Buffer) => {
  const { input: i, source } = input(file, bytes);
  return transforms.get(id)!.run(i, source);
};

test('every shipped transform has fixtures, and each fixture gives its expected canonical output', async (t) => {
  for (const id of transforms.keys()) {
    const dir = path.join(FIXTURES, id);
    const inputs = (await readdir(dir)).filter((f) => !f.endsWith('.expected.json'));
    t.true(inputs.length > 0, `${id} has fixtures`);
    for (const file of inputs) {
      const expected = JSON.parse(await readFile(path.join(dir, file.replace(/\.(hl7|json)$/, '.expected.json')), 'utf8'));
      t.deepEqual(run(id, file, await readFile(path.join(dir, file))), expected, `${id}/${file}`);
    }
  }
});

test('the DFT^P03 of the corpus gives three ChargeEvents and one SupplyConsumptionEvent', async (t) => {
  if (!requireShared(t)) return;
  const { bytes } = await corpusCase('008-dft-p03-charges');
  const charges = run('hl7v2.dft-to-charges', 'x.hl7', bytes);
  t.deepEqual(
    charges.map((e) => e.code),
    ['27447', 'C1776', 'SUP-88231'],
  );
  t.deepEqual(
    charges.map((e) => e.quantity),
    [1, 1, 6],
  );
  t.true(charges.every((e) => e.costCenter === 'COSTCTR-4410' && e.glAccount === 'GL-5100-200'));
  const supplies = run('hl7v2.dft-to-supply', 'x.hl7', bytes);
  t.deepEqual(
    supplies.map((e) => [e.itemCode, e.quantity]),
    [['SUP-88231', 6]],
  );
});

test('one clinical story, the same ChargeEvent for CPT 27447 from HL7v2 and from FHIR', async (t) => {
  if (!requireShared(t)) return;
  const [fromHl7] = run('hl7v2.dft-to-charges', 'x.hl7', (await corpusCase('008-dft-p03-charges')).bytes);
  const [fromFhir] = run(
    'fhir.chargeitem-to-charge',
    'x.json',
    await readFile(path.join(SHARED, 'fhir-samples/chargeitem-procedure.json')),
  );
  const same = (e: Record<string, unknown>) => ({
    code: e.code,
    codeSystem: e.codeSystem,
    quantity: e.quantity,
    encounter: (e.encounter as { visitNumber: string }).visitNumber,
    costCenter: e.costCenter,
    mrn: (e.patient as { mrn: string }).mrn,
  });
  t.deepEqual(same(fromFhir!), same(fromHl7!));
  t.deepEqual(same(fromHl7!), {
    code: '27447',
    codeSystem: 'http://www.ama-assn.org/go/cpt',
    quantity: 1,
    encounter: 'V00098765',
    costCenter: 'COSTCTR-4410',
    mrn: '100234',
  });
});

test('every accepted FHIR sample maps to valid canonical events', async (t) => {
  if (!requireShared(t)) return;
  const cases: [string, string, string][] = [
    ['encounter-admit.json', 'fhir.encounter-to-encounter', 'admit'],
    ['supplydelivery-or.json', 'fhir.supplydelivery-to-supply', 'SUP-88231'],
    ['practitionerrole-onboarding.json', 'fhir.practitionerrole-to-workforce', 'onboard'],
  ];
  for (const [file, id, expected] of cases) {
    const [event] = run(id, file, await readFile(path.join(SHARED, 'fhir-samples', file)));
    t.true(JSON.stringify(event).includes(`"${expected}"`), `${file}: ${JSON.stringify(event)}`);
  }
});

test('every ADT and DFT case of the corpus gives valid canonical events', async (t) => {
  if (!requireShared(t)) return;
  for (const name of [
    '001-adt-a01-basic',
    '002-adt-a01-lf-terminators',
    '003-adt-a01-crlf-terminators',
    '004-custom-delimiters',
    '005-escape-sequences',
    '006-empty-vs-null',
    '008-dft-p03-charges',
    '009-utf8',
    '010-v27-truncation-char',
    '012-adt-a40-merge',
    '013-leading-whitespace',
  ]) {
    const { bytes } = await corpusCase(name);
    const { input: i, source } = input('x.hl7', bytes);
    const type = source.messageType;
    const applicable = [...transforms.values()].filter((tr) => tr.input === 'hl7' && tr.accepts.includes(type));
    t.true(applicable.length > 0, `${name}: a transform maps ${type}`);
    for (const tr of applicable) t.deepEqual(tr.tryRun(i, source).errors, [], `${name} through ${tr.id}`);
  }
});

test('a missing required source names the target field and the path, never the value', (t) => {
  const dft = Buffer.from(
    `MSH|^~\\&|A|B|C|D|20260101||DFT^P03|X|P|2.5.1\rPID|1||1^^^H^MR\rPV1|1|O${'|'.repeat(17)}V1\rFT1|1|||20260101||CG\r`,
  );
  const err = t.throws(() => run('hl7v2.dft-to-charges', 'x.hl7', dft), { instanceOf: TransformError });
  t.is(err!.catalogCode, 'TRANSFORM_FAILED');
  t.is(err!.message, 'ChargeEvent event 1: field code from FT1-7.1: FT1-7.1 is empty');
  const bad = Buffer.from(
    `MSH|^~\\&|A|B|C|D|20260101||DFT^P03|X|P|2.5.1\rPID|1||1^^^H^MR\rPV1|1|O${'|'.repeat(17)}V1\rFT1|1|||SECRET-DATE||CG|99213\r`,
  );
  const { input: i, source } = input('x.hl7', bad);
  const { errors } = transforms.get('hl7v2.dft-to-charges')!.tryRun(i, source);
  t.deepEqual(errors, [
    { event: 1, target: 'serviceDate', source: 'dateTime(FT1-4)', value: 'SECRET-DATE', reason: 'FT1-4 is not a date/time' },
  ]);
  t.false(t.throws(() => run('hl7v2.dft-to-charges', 'x.hl7', bad))!.message.includes('SECRET'));
});

test('each transform describes itself as a table of target field ← source expression', (t) => {
  const charges = transforms.get('hl7v2.dft-to-charges')!;
  t.is(charges.forEach, 'FT1');
  t.deepEqual(
    charges.rows.find((r) => r.target === 'codeSystem'),
    { target: 'codeSystem', source: "codeSystemUri(FT1-7.3 ?? 'local')", required: true },
  );
  t.is(transforms.get('hl7v2.dft-to-supply')!.forEach, 'FT1 where FT1-7.1 matches /^SUP-/');
});
