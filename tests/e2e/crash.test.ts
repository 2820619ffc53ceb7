import test from 'ava';
import { startErpSimulator } from '../peers/erp-simulator.ts';
import { waitFor } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';
import { sharedMongoUrl, sharedRedisUrl, uniqueName } from '../support/services.ts';
import { spawnEngine } from '../support/engine-process.ts';

/** Settings for an engine process of its own: a fresh database and queue prefix, a quick relay. */
const engineEnv = (erpUrl: string) => ({
  REDIS_URL: sharedRedisUrl(),
  MONGODB_URL: sharedMongoUrl(),
  MONGODB_DB: uniqueName('sbcrash'),
  QUEUE_PREFIX: uniqueName('sbq'),
  ERP_BASE_URL: erpUrl,
  FHIR_API_TOKEN: 'crash-test-token',
  RELAY_INTERVAL_MS: '200',
  RELAY_STALE_MS: '500',
});

test('SIGKILL of the engine right after an ACK, then restart: the message is delivered', async (t) => {
  const erp = await startErpSimulator({ port: 0 });
  const env = engineEnv(erp.url);
  const first = await spawnEngine(env);
  t.teardown(async () => (await first.kill(), await erp.close()));
  // The ERP is down, so nothing can be delivered before the kill.
  erp.setBehaviour({ mode: 'fail', status: 503, times: -1 });
  const client = await MllpTestClient.connect(first.mllpPort);
  const message = 'MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315083000||ADT^A01^ADT_A01|KILL0001|P|2.5.1\rEVN|A01|20260315083000\rPID|1||55501^^^GENHOSP^MR||DOE^JOHN\rPV1|1|I|4W||||||||||||||||VKILL1\r';
  const ack = await client.send(message);
  await first.kill('SIGKILL');
  t.is(field(ack, 'MSA', 1), 'AA');
  t.is(erp.postings().length, 0);

  erp.setBehaviour({ mode: 'ok' });
  const second = await spawnEngine(env);
  t.teardown(() => second.kill('SIGTERM'));
  const posting = await waitFor('delivery after restart', () => erp.postings()[0], 60_000);
  t.regex(posting.idempotencyKey, /^[0-9a-f-]{36}:erp$/);
  t.is(erp.postings().length, 1);
  t.false([...first.lines, ...second.lines].some((l) => l.includes('DOE') || l.includes('55501')), 'no PHI in the logs');
});

test('SIGKILL of the engine right after a FHIR 201, then restart: the resource is delivered', async (t) => {
  const erp = await startErpSimulator({ port: 0 });
  const env = engineEnv(erp.url);
  const first = await spawnEngine(env);
  t.teardown(async () => (await first.kill(), await erp.close()));
  erp.setBehaviour({ mode: 'fail', status: 503, times: -1 });
  const res = await fetch(`http://127.0.0.1:${first.httpPort}/fhir/ehr-fhir/ChargeItem`, {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json', authorization: 'Bearer crash-test-token' },
    body: JSON.stringify({ resourceType: 'ChargeItem', status: 'billable', code: { coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: '27447' }] }, subject: { reference: 'Patient/pat-55501' }, context: { reference: 'Encounter/enc-vkill2' }, occurrenceDateTime: '2026-03-20T14:30:00-05:00' }),
  });
  await first.kill('SIGKILL');
  t.is(res.status, 201);
  t.is(erp.postings().length, 0);

  erp.setBehaviour({ mode: 'ok' });
  const second = await spawnEngine(env);
  t.teardown(() => second.kill('SIGTERM'));
  const posting = await waitFor('delivery after restart', () => erp.postings()[0], 60_000);
  t.is((posting.body as { event: { code: string } }).event.code, '27447');
  t.is(erp.postings().length, 1);
});
