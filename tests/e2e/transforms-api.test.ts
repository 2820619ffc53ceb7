import test from 'ava';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { startErpSimulator, type ErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, testChannel, type TestEngine } from '../support/harness.ts';
import { requireShared, SHARED } from '../support/shared.ts';

let erp: ErpSimulator;
let sb: TestEngine;
test.before(async () => {
  erp = await startErpSimulator();
  sb = await startTestEngine({ channels: [testChannel({ erpUrl: erp.url })] });
});
test.after.always(async () => {
  await sb?.close();
  await erp?.close();
});
const inject = (method: 'GET' | 'POST', url: string, payload?: unknown) =>
  sb.engine.http!.inject({ method, url, headers: sb.adminHeaders, ...(payload ? { payload: payload as object } : {}) });

test('the JSON Schema of every canonical model is served, with a data class on its fields', async (t) => {
  const list = (await inject('GET', '/api/schemas')).json();
  t.deepEqual(list.items.map((i: { id: string }) => i.id).sort(), [
    'ChargeEvent.v1',
    'EncounterEvent.v1',
    'SupplyConsumptionEvent.v1',
    'WorkforceEvent.v1',
  ]);
  const res = await inject('GET', '/api/schemas/ChargeEvent.v1');
  t.is(res.headers['content-type'], 'application/schema+json; charset=utf-8');
  const schema = res.json();
  t.is(schema.properties.code.dataClass, 'financial');
  t.is(schema.properties.patient.properties.mrn.dataClass, 'direct-identifier');
  t.is((await inject('GET', '/api/schemas/Nope.v1')).statusCode, 404);
});

test('transforms are listed as tables of target field ← source expression', async (t) => {
  const t1 = (await inject('GET', '/api/transforms/hl7v2.adt-to-encounter')).json();
  t.is(t1.model, 'EncounterEvent');
  t.deepEqual(
    t1.rows.find((r: { target: string }) => r.target === 'occurredAt'),
    { target: 'occurredAt', source: 'dateTime(EVN-2 ?? MSH-7)', required: true },
  );
  t.true((await inject('GET', '/api/transforms')).json().items.length >= 7);
});

test('the test bench maps a sample, or answers 422 with every field error', async (t) => {
  const ok = await inject('POST', '/api/transforms/hl7v2.adt-to-encounter/run', {
    message: 'MSH|^~\\&|A|B|C|D|20260101||ADT^A01|X1|P|2.5.1\nPID|1||42^^^H^MR||ROE^ANN\nPV1|1|I\n',
  });
  t.is(ok.statusCode, 200);
  t.is(ok.json().events[0].eventType, 'admit');
  t.is(ok.json().events[0].patient.mrn, '42');
  const bad = await inject('POST', '/api/transforms/hl7v2.dft-to-charges/run', {
    message: 'MSH|^~\\&|A|B|C|D|20260101||DFT^P03|X1|P|2.5.1\rPID|1||42\rFT1|1|||NOTADATE||CG\r',
  });
  t.is(bad.statusCode, 422);
  t.deepEqual(
    bad
      .json()
      .errors.map((e: { target: string }) => e.target)
      .sort(),
    ['code', 'encounter.visitNumber', 'serviceDate'],
  );
  t.is((await inject('POST', '/api/transforms/hl7v2.dft-to-charges/run', { message: 'not hl7' })).statusCode, 400);
  t.is(
    (
      await inject('POST', '/api/transforms/hl7v2.dft-to-charges/run', { message: 'MSH|^~\\&|A|B|C|D|20260101||ADT^A01|X1|P|2.5.1\r' })
    ).json().detail,
    'hl7v2.dft-to-charges maps DFT^P03, not ADT^A01',
  );
});

test('the test bench maps FHIR resources too', async (t) => {
  if (!requireShared(t)) return;
  const resource = JSON.parse(await readFile(path.join(SHARED, 'fhir-samples/chargeitem-procedure.json'), 'utf8'));
  const res = await inject('POST', '/api/transforms/fhir.chargeitem-to-charge/run', { message: resource });
  t.is(res.statusCode, 200, res.body);
  t.is(res.json().events[0].encounter.visitNumber, 'V00098765');
});
