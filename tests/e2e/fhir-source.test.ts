import test from 'ava';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import ehrFhir from '../../channels/ehr-fhir.channel.ts';
import { startErpSimulator, type ErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, testChannel, waitFor, type TestEngine, TEST_ENCRYPTION } from '../support/harness.ts';
import { requireShared, SHARED } from '../support/shared.ts';

const TOKEN = 'test-token-0123456789';
const SAMPLES = path.join(SHARED, 'fhir-samples');
let erp: ErpSimulator;
let sb: TestEngine;

test.before(async () => {
  erp = await startErpSimulator();
  const fhir = {
    ...ehrFhir,
    source: { ...ehrFhir.source, tokens: [TOKEN], bodyLimitBytes: 65536 },
    destinations: ehrFhir.destinations.map((d) => ({
      ...d,
      config: { baseUrl: erp.url },
      retry: { attempts: 3, initialDelayMs: 50, maxDelayMs: 200 },
    })),
  };
  sb = await startTestEngine({ channels: [testChannel({ erpUrl: erp.url }), fhir], security: TEST_ENCRYPTION });
});
test.after.always(async () => {
  await sb?.close();
  await erp?.close();
});

const request = (o: {
  method?: 'GET' | 'POST' | 'PUT';
  url: string;
  body?: string | object;
  token?: string | null;
  type?: string;
  headers?: Record<string, string>;
}) =>
  sb.engine.http!.inject({
    method: o.method ?? 'POST',
    url: `/fhir/ehr-fhir${o.url}`,
    headers: {
      'content-type': o.type ?? 'application/fhir+json',
      ...(o.token === null ? {} : { authorization: `Bearer ${o.token ?? TOKEN}` }),
      ...o.headers,
    },
    ...(o.body === undefined ? {} : { payload: typeof o.body === 'string' ? o.body : JSON.stringify(o.body) }),
  });
const sample = async (file: string) => readFile(path.join(SAMPLES, file), 'utf8');
const typeOf = (json: string) => (JSON.parse(json) as { resourceType: string }).resourceType;

test('every accepted sample is stored (201) and reaches the canonical model', async (t) => {
  if (!requireShared(t)) return;
  for (const file of ['encounter-admit.json', 'chargeitem-procedure.json', 'supplydelivery-or.json', 'practitionerrole-onboarding.json']) {
    const body = await sample(file);
    const res = await request({ url: `/${typeOf(body)}`, body });
    t.is(res.statusCode, 201, `${file}: ${res.body}`);
    t.is(res.json().resourceType, 'OperationOutcome');
    const id = res.headers['x-switchboard-message-id'] as string;
    t.is(res.headers.location, `/api/messages/${id}`);
    const stored = await sb.engine.store!.messages.get(id);
    t.is(stored!.format, 'fhir');
    t.is(stored!.canonical!.events.length, 1, file);
  }
  await waitFor('the ChargeItem delivered to the ERP', () =>
    erp.postings().some((p) => (p.body as { model: string }).model === 'ChargeEvent'),
  );
  const charge = erp.postings().find((p) => (p.body as { model: string }).model === 'ChargeEvent')!.body as {
    event: Record<string, unknown>;
  };
  t.is(charge.event.code, '27447');
  t.is(charge.event.costCenter, 'COSTCTR-4410');
  t.is(charge.event.patient, undefined, 'no direct identifiers to finance');
});

test('the transaction Bundle gives one response entry per entry', async (t) => {
  if (!requireShared(t)) return;
  const body = await sample('bundle-transaction-procedure.json');
  const res = await request({ url: '/', body });
  t.is(res.statusCode, 200, res.body);
  const bundle = res.json();
  t.is(bundle.type, 'transaction-response');
  t.is(bundle.entry.length, JSON.parse(body).entry.length);
  t.true(bundle.entry.every((e: { response: { status: string } }) => e.response.status === '201 Created'));
});

test('every bad sample gets its 4xx with an OperationOutcome, and the server keeps serving', async (t) => {
  if (!requireShared(t)) return;
  const bad = (await readdir(SAMPLES)).filter((f) => f.startsWith('bad-'));
  t.is(bad.length, 5);
  const endpoint: Record<string, string> = {
    'bad-resource-type-mismatch.json': '/Encounter',
    'bad-wrong-types.json': '/Encounter',
    'bad-not-json.txt': '/Encounter',
    'bad-missing-resource-type.json': '/Encounter',
    'bad-unknown-resource-type.json': '/Encounter',
  };
  for (const file of bad) {
    const res = await request({ url: endpoint[file]!, body: await sample(file) });
    t.is(res.statusCode, 400, `${file}: ${res.body}`);
    t.is(res.json().resourceType, 'OperationOutcome', file);
  }
  const wrongTypes = await request({ url: '/Encounter', body: await sample('bad-wrong-types.json') });
  const expressions = wrongTypes.json().issue.flatMap((i: { expression?: string[] }) => i.expression ?? []);
  t.true(expressions.includes('Encounter.status') && expressions.includes('Encounter.subject.reference'), expressions.join(', '));
  const ok = await request({ url: '/Encounter', body: await sample('encounter-admit.json') });
  t.is(ok.statusCode, 201);
});

test('credentials are checked before the body is read: no token, a bad token, then a malformed body', async (t) => {
  const noToken = await request({ url: '/Encounter', body: '{ not json', token: null });
  t.is(noToken.statusCode, 401, 'refused before the malformed body could give 400');
  t.is(noToken.json().issue[0].code, 'login');
  t.is((await request({ url: '/Encounter', body: '{ not json', token: 'wrong' })).statusCode, 401);
  t.is((await request({ url: '/Encounter', body: '{ not json' })).statusCode, 400);
  const metadata = await request({ method: 'GET', url: '/metadata', token: null });
  t.is(metadata.statusCode, 200);
  t.deepEqual(
    metadata.json().rest[0].resource.map((r: { type: string }) => r.type),
    ['Encounter', 'ChargeItem', 'SupplyDelivery', 'PractitionerRole', 'Patient'],
  );
});

test('content type 415, body limit 413, unknown resource type 404, PUT id mismatch 400', async (t) => {
  t.is((await request({ url: '/Encounter', body: 'x', type: 'text/plain' })).statusCode, 415);
  const big = {
    resourceType: 'Encounter',
    status: 'planned',
    class: { code: 'AMB' },
    text: { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${'x'.repeat(70_000)}</div>` },
  };
  const tooLarge = await request({ url: '/Encounter', body: big });
  t.is(tooLarge.statusCode, 413);
  t.is(tooLarge.json().issue[0].code, 'too-long');
  t.is((await request({ url: '/Observation', body: { resourceType: 'Observation' } })).statusCode, 404);
  const put = await request({
    method: 'PUT',
    url: '/Encounter/enc-1',
    body: { resourceType: 'Encounter', id: 'enc-2', status: 'planned', class: { code: 'AMB' } },
  });
  t.is(put.statusCode, 400);
});

test('a body without Content-Length is cut off at the channel limit: 413, and the rest is never read', async (t) => {
  // 64 KiB limit (see before); the sender would send 8 MiB in 16 KiB chunks (under the 64 MiB cap).
  let pulled = 0;
  const body = new Readable({
    read() {
      if (pulled >= 8 * 1024 * 1024) return this.push(null);
      pulled += 16_384;
      this.push(Buffer.alloc(16_384, 0x20));
    },
  });
  const res = await sb.engine.http!.inject({
    method: 'POST',
    url: '/fhir/ehr-fhir/Encounter',
    headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${TOKEN}` },
    payload: body,
  });
  t.is(res.statusCode, 413);
  t.is(res.json().issue[0].code, 'too-long');
  t.true(pulled < 1024 * 1024, `read ${pulled} bytes`);
});

test('a repeated request id or Bundle.identifier is not processed twice: the first answer comes back', async (t) => {
  const encounter = {
    resourceType: 'Encounter',
    status: 'planned',
    class: { code: 'AMB' },
    identifier: [{ value: 'VDUP1' }],
    subject: { reference: 'Patient/pat-4242' },
    period: { start: '2026-05-01' },
  };
  const first = await request({ url: '/Encounter', body: encounter, headers: { 'x-request-id': 'req-dup-1' } });
  const again = await request({ url: '/Encounter', body: encounter, headers: { 'x-request-id': 'req-dup-1' } });
  t.is(first.statusCode, 201);
  t.is(again.statusCode, 200);
  t.is(again.headers['x-switchboard-message-id'], first.headers['x-switchboard-message-id']);
  const bundle = {
    resourceType: 'Bundle',
    type: 'batch',
    identifier: { system: 'urn:test', value: 'B-DUP-1' },
    entry: [{ resource: encounter, request: { method: 'POST', url: 'Encounter' } }],
  };
  const b1 = (await request({ url: '/', body: bundle })).json();
  const b2 = (await request({ url: '/', body: bundle })).json();
  t.is(b1.entry[0].response.status, '201 Created');
  t.is(b2.entry[0].response.status, '200 OK');
  t.is(b2.entry[0].response.location, b1.entry[0].response.location);
});

test('FHIR answers are timed in the ACK latency histogram by served channel and HTTP status', async (t) => {
  const encounter = {
    resourceType: 'Encounter',
    status: 'planned',
    class: { code: 'AMB' },
    identifier: [{ value: 'VTIMED1' }],
    subject: { reference: 'Patient/pat-4243' },
    period: { start: '2026-05-01' },
  };
  const stored = await request({ url: '/Encounter', body: encounter, headers: { 'x-request-id': 'req-timed-1' } });
  t.is(stored.statusCode, 201, stored.body);
  t.is((await request({ url: '/Encounter', body: encounter, token: null })).statusCode, 401);
  const unknown = await sb.engine.http!.inject({ method: 'POST', url: '/fhir/no-such-channel/Encounter', payload: '{}' });
  t.is(unknown.statusCode, 404);
  const text = (await sb.engine.http!.inject({ method: 'GET', url: '/metrics', headers: sb.adminHeaders })).body;
  const count = (labels: string) =>
    Number(/ (\S+)$/.exec(text.split('\n').find((l) => l.startsWith(`switchboard_ack_latency_seconds_count{${labels}} `)) ?? '')?.[1]);
  t.true(count('channel="ehr-fhir",ack="201"') >= 1);
  t.true(count('channel="ehr-fhir",ack="401"') >= 1);
  t.false(text.includes('no-such-channel'));
});
