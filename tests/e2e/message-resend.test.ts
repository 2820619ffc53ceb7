import test from 'ava';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import ehrFhir from '../../channels/ehr-fhir.channel.ts';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, TEST_ENCRYPTION, testChannel, waitFor } from '../support/harness.ts';
import { requireShared, SHARED } from '../support/shared.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';
import { userSession } from '../support/users.ts';

const dft = (amount: string) =>
  'MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260320143000||DFT^P03|RS1|P|2.5.1\r' +
  `PID|1||5150^^^GENHOSP^MR||ROE^RITA\rPV1|1|I${'|'.repeat(17)}VRS1\r` +
  `FT1|1|||20260320120000||CG|27447^KNEE^CPT|||1|${amount}^USD\r`;

type Posting = { idempotencyKey: string; body: { event: { amount?: { value: number } } } };

test('edit and resend: the corrected message is delivered, the original stays as it was, the audit names who and why', async (t) => {
  const erp = await startErpSimulator();
  t.teardown(() => erp.close());
  const sb = await startTestEngine({ channels: [testChannel({ erpUrl: erp.url })] });
  t.teardown(() => sb.close());
  const store = sb.engine.store!;
  const client = await MllpTestClient.connect(sb.mllpPort);
  t.is(field(await client.send(dft('9999.00')), 'MSA', 1), 'AA');
  client.close();
  const [listed] = await store.messages.list({ controlId: 'RS1', limit: 1 });
  const originalId = listed!._id;
  await waitFor('the wrong amount delivered', async () => (await store.messages.get(originalId))?.status === 'delivered');
  const before = (await store.messages.get(originalId))!;

  const support = await userSession(sb, { username: 'sam.support', role: 'support', phi: true });
  const noPhi = await userSession(sb, { username: 'pat.support', role: 'support', phi: false });
  const correct = (headers: Record<string, string>, payload: object, id = originalId) =>
    sb.engine.http!.inject({ method: 'POST', url: `/api/messages/${id}/corrections`, headers, payload });
  const reason = 'charge keyed as 9999.00 instead of 99.00 (ticket 4711)';
  const corrected = dft('99.00').replaceAll('\r', '\n');

  const denied = await correct(noPhi, { content: corrected, reason });
  t.is(denied.statusCode, 403, 'support without the PHI permission may not correct');
  const bad = await correct(support, { content: 'PID|1||5150', reason });
  t.is(bad.statusCode, 400);
  t.is(bad.headers['content-type'], 'application/problem+json; charset=utf-8');
  t.truthy(bad.json().detail);
  const refused = await correct(support, { content: corrected.replace('27447^KNEE^CPT', ''), reason });
  t.is(refused.statusCode, 422, 'a transform refuses a charge without a code');
  t.regex(refused.json().detail, /FT1-7/);
  t.is((await store.messages.list({ channelId: 'ehr-mllp', limit: 10 })).length, 1, 'nothing stored for a refused correction');

  const res = await correct(support, { content: corrected, reason });
  t.is(res.statusCode, 201, res.body);
  const { id: correctionId } = res.json();
  t.like(res.json(), { correctionOf: originalId, status: 'routed' });
  await waitFor('the correction delivered', async () => (await store.messages.get(correctionId))?.status === 'delivered');
  const postings = erp.postings() as unknown as Posting[];
  const charges = postings.filter((p) => p.body.event.amount);
  t.deepEqual(
    charges.map((p) => p.body.event.amount!.value),
    [9999, 99],
  );
  t.not(charges[1]!.idempotencyKey, charges[0]!.idempotencyKey, 'the correction is posted under its own key');

  const after = (await store.messages.get(originalId))!;
  t.deepEqual(Buffer.from(after.raw), Buffer.from(before.raw), 'the original content is unchanged');
  t.is(after.status, 'delivered');
  t.deepEqual(after.corrections, [correctionId]);
  const show = async (id: string) => (await sb.engine.http!.inject({ method: 'GET', url: `/api/messages/${id}`, headers: support })).json();
  t.deepEqual((await show(originalId)).corrections, [correctionId]);
  const shown = await show(correctionId);
  t.is(shown.correctionOf, originalId);
  t.regex(shown.raw, /\|99\.00\^USD/);
  t.is(shown.summary.controlId, 'RS1', 'the correction keeps MSH-10');

  const audited = (
    await sb.engine.http!.inject({ method: 'GET', url: '/api/audit?action=message.resend', headers: sb.adminHeaders })
  ).json().items as { actor: string; outcome: string; target: string; details: Record<string, unknown> }[];
  const done = audited.find((e) => e.outcome === 'success')!;
  t.like(done, { actor: 'sam.support', target: `message:${correctionId}`, details: { correctionOf: originalId, reason } });
  t.deepEqual(audited.map((e) => e.outcome).sort(), ['failure', 'failure', 'success']);
  t.false(JSON.stringify(audited).includes('ROE'), 'no patient data in the audit');

  // A correction of a correction links to the one it corrects.
  const again = await correct(support, { content: dft('98.00'), reason: 'one more fix' }, correctionId);
  t.is(again.statusCode, 201, again.body);
  t.is((await show(again.json().id)).correctionOf, correctionId);
  t.deepEqual((await show(correctionId)).corrections, [again.json().id]);
});

test('FHIR corrections (sealed at rest); 409 for a message still being delivered or a channel not deployed', async (t) => {
  if (!requireShared(t)) return;
  const erp = await startErpSimulator();
  t.teardown(() => erp.close());
  const token = 'test-token-0123456789';
  const fhir = {
    ...ehrFhir,
    source: { ...ehrFhir.source, tokens: [token] },
    destinations: ehrFhir.destinations.map((d) => ({
      ...d,
      config: { baseUrl: erp.url },
      retry: { attempts: 20, initialDelayMs: 2000, maxDelayMs: 5000 },
    })),
  };
  const sb = await startTestEngine({ channels: [testChannel({ erpUrl: erp.url }), fhir], security: TEST_ENCRYPTION });
  t.teardown(() => sb.close());
  const store = sb.engine.store!;
  const charge = JSON.parse(await readFile(path.join(SHARED, 'fhir-samples', 'chargeitem-procedure.json'), 'utf8'));
  const posted = await sb.engine.http!.inject({
    method: 'POST',
    url: '/fhir/ehr-fhir/ChargeItem',
    headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${token}` },
    payload: JSON.stringify(charge),
  });
  t.is(posted.statusCode, 201, posted.body);
  const [original] = await waitFor('the charge delivered', () =>
    store.messages.list({ channelId: 'ehr-fhir', status: 'delivered', limit: 5 }).then((m) => m.length === 1 && m),
  );
  const support = await userSession(sb, { username: 'sam.support', role: 'support', phi: true });
  const correct = (content: string) =>
    sb.engine.http!.inject({
      method: 'POST',
      url: `/api/messages/${original!._id}/corrections`,
      headers: support,
      payload: { content, reason: 'price keyed wrong' },
    });

  t.is((await correct('{"resourceType":')).statusCode, 400, 'not JSON');
  t.is((await correct(JSON.stringify({ ...charge, resourceType: 'Encounter' }))).statusCode, 400, 'another resource type');
  const res = await correct(JSON.stringify({ ...charge, priceOverride: { value: 425, currency: 'USD' } }, null, 2));
  t.is(res.statusCode, 201, res.body);
  await waitFor('the correction delivered', async () => (await store.messages.get(res.json().id))?.status === 'delivered');
  t.is((await store.messages.get(res.json().id))!.correctionOf, original!._id);
  t.deepEqual((await store.messages.get(original!._id))!.corrections, [res.json().id]);
  t.is(erp.postings().length, 2);

  erp.setBehaviour({ mode: 'fail', status: 503, times: -1 });
  const again = await sb.engine.http!.inject({
    method: 'POST',
    url: '/fhir/ehr-fhir/ChargeItem',
    headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${token}` },
    payload: JSON.stringify({ ...charge, id: 'chg-2' }),
  });
  t.is(again.statusCode, 201, again.body);
  const [retrying] = await waitFor('the second charge retrying', () =>
    store.messages.list({ channelId: 'ehr-fhir', status: 'routed', limit: 5 }).then((m) => m.length === 1 && m),
  );
  const unsettled = await sb.engine.http!.inject({
    method: 'POST',
    url: `/api/messages/${retrying!._id}/corrections`,
    headers: support,
    payload: { content: JSON.stringify(charge), reason: 'price keyed wrong' },
  });
  t.is(unsettled.statusCode, 409, 'a message still being delivered is not corrected');
  t.regex(unsettled.json().detail, /still being routed or delivered/);

  const undeploy = await sb.engine.http!.inject({ method: 'POST', url: '/api/channels/ehr-fhir/undeploy', headers: sb.adminHeaders });
  t.is(undeploy.statusCode, 200, undeploy.body);
  const refused = await correct(JSON.stringify(charge));
  t.is(refused.statusCode, 409);
  t.regex(refused.json().detail, /ehr-fhir is not deployed/);
});
