import test from 'ava';
import { startErpSimulator, type ErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, testChannel, waitFor, type TestEngine } from '../support/harness.ts';
import { MllpTestClient } from '../support/mllp-client.ts';

let erp: ErpSimulator;
let sb: TestEngine;
const adt = (id: string, mrn: string) =>
  `MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315083000||ADT^A04^ADT_A01|${id}|P|2.5.1\r` +
  `EVN|A04|20260315083000\rPID|1||${mrn}^^^GENHOSP^MR||ROE^RICHARD\r` +
  `PV1|1|O|CLINIC||||||||||||||||V${id}\r`;

test.before(async () => {
  erp = await startErpSimulator({ port: 0 });
  sb = await startTestEngine({ channels: [testChannel({ erpUrl: erp.url })] });
  const client = await MllpTestClient.connect(sb.mllpPort);
  for (let i = 1; i <= 5; i++) await client.send(adt(`API${i}`, i === 3 ? 'MRN-333' : `MRN-${i}`));
  await client.send('MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315083000||ORM^O01|API-ORM|P|2.5.1\r');
  client.close();
  await waitFor('all delivered', async () => (await sb.engine.store!.messages.list({ status: 'delivered', limit: 10 })).length === 5);
});
test.after.always(async () => {
  await sb?.close();
  await erp?.close();
});

const get = (url: string) => sb.engine.http!.inject({ method: 'GET', url, headers: sb.adminHeaders });

test('GET /api/health reports each service', async (t) => {
  const res = await get('/api/health');
  t.is(res.statusCode, 200);
  t.deepEqual(res.json(), { status: 'up', services: { store: 'up', redis: 'up' } });
});

test('GET /api/messages filters by status, control id, MRN and channel', async (t) => {
  t.is((await get('/api/messages?status=delivered')).json().items.length, 5);
  t.is((await get('/api/messages?status=rejected')).json().items[0].summary.controlId, 'API-ORM');
  t.deepEqual(
    (await get('/api/messages?controlId=API2')).json().items.map((m: { summary: { controlId: string } }) => m.summary.controlId),
    ['API2'],
  );
  t.deepEqual(
    (await get('/api/messages?mrn=MRN-333')).json().items.map((m: { summary: { controlId: string } }) => m.summary.controlId),
    ['API3'],
  );
  t.is((await get('/api/messages?channel=nope')).json().items.length, 0);
});

test('GET /api/messages filters by message type, time range, destination and error code', async (t) => {
  const ids = async (q: string) =>
    (await get(`/api/messages?${q}`)).json().items.map((m: { summary: { controlId: string } }) => m.summary.controlId);
  t.is((await ids('type=ADT^A04')).length, 5);
  t.is((await ids('type=ADT')).length, 5);
  t.deepEqual(await ids('type=ORM'), ['API-ORM']);
  t.is((await ids('type=ADT^A01')).length, 0);
  t.is((await ids('destination=erp')).length, 5);
  t.deepEqual(await ids('errorCode=HL7_TYPE_NOT_ACCEPTED'), ['API-ORM']);
  t.is((await ids('errorCode=PEER_REJECTED')).length, 0);
  const now = new Date();
  t.is(
    (await ids(`from=${encodeURIComponent(new Date(now.getTime() - 600_000).toISOString())}&to=${encodeURIComponent(now.toISOString())}`))
      .length,
    6,
  );
  t.is((await ids(`from=${encodeURIComponent(now.toISOString())}`)).length, 0);
  t.is((await get('/api/messages?type=ADT|A01')).statusCode, 400);
});

test('GET /api/messages paginates newest first with a cursor', async (t) => {
  const first = (await get('/api/messages?status=delivered&limit=2')).json();
  t.deepEqual(
    first.items.map((m: { summary: { controlId: string } }) => m.summary.controlId),
    ['API5', 'API4'],
  );
  const second = (await get(`/api/messages?status=delivered&limit=2&before=${first.nextBefore}`)).json();
  t.deepEqual(
    second.items.map((m: { summary: { controlId: string } }) => m.summary.controlId),
    ['API3', 'API2'],
  );
});

test('GET /api/messages/:id gives the raw message, canonical form, deliveries and the ACK sent', async (t) => {
  const [item] = (await get('/api/messages?controlId=API1')).json().items;
  const res = await get(`/api/messages/${item._id}`);
  t.is(res.statusCode, 200);
  const m = res.json();
  t.true(m.raw.startsWith('MSH|^~\\&|EPIC'));
  t.is(m.canonical.events[0].model, 'EncounterEvent');
  t.is(m.canonical.events[0].transformId, 'hl7v2.adt-to-encounter');
  t.is(m.canonical.events[0].event.eventType, 'register');
  t.is(m.deliveries.erp.status, 'delivered');
  t.is(m.ack.code, 'AA');
});

test('errors are JSON problems: unknown id, bad query, unknown route', async (t) => {
  const missing = await get('/api/messages/does-not-exist');
  t.is(missing.statusCode, 404);
  t.is(missing.headers['content-type'], 'application/problem+json; charset=utf-8');
  t.is(missing.json().code, 'NOT_FOUND');
  const bad = await get('/api/messages?limit=100000');
  t.is(bad.statusCode, 400);
  t.is(bad.json().code, 'BAD_REQUEST');
  t.regex(bad.json().detail, /limit/);
  t.is((await get('/api/nothing')).statusCode, 404);
});
