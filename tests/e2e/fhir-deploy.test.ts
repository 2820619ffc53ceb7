import test from 'ava';
import type { ChannelDefinition } from '../../engine/channel.ts';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, testChannel, waitFor, TEST_ENCRYPTION } from '../support/harness.ts';
import { uniqueName } from '../../scripts/lib/unique-name.ts';
import { userSession } from '../support/users.ts';

const clinicChannel = (o: { erpUrl: string; token: string; bodyLimitBytes?: number }): ChannelDefinition => ({
  id: 'clinic-fhir',
  description: 'made in the console while the engine runs',
  source: { kind: 'fhir', tokens: [o.token], ...(o.bodyLimitBytes ? { bodyLimitBytes: o.bodyLimitBytes } : {}) },
  accept: ['Encounter'],
  transforms: ['fhir.encounter-to-encounter'],
  destinations: [
    {
      id: 'clinic-erp',
      kind: 'erp-rest',
      config: { baseUrl: o.erpUrl, timeoutMs: 2000 },
      models: ['EncounterEvent'],
      retry: { attempts: 3, initialDelayMs: 50, maxDelayMs: 200 },
    },
  ],
});

const encounter = (id: string) => ({
  resourceType: 'Encounter',
  id,
  status: 'in-progress',
  class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP' },
  identifier: [{ system: 'urn:oid:1.2.3.4.5.6', value: `V-${id}` }],
  subject: { reference: 'Patient/p1' },
  serviceProvider: { reference: 'Organization/genhosp' },
  period: { start: '2026-03-15T08:30:00Z' },
});

test('a FHIR channel deployed, changed, paused and undeployed while the engine runs is served accordingly at once', async (t) => {
  const erp = await startErpSimulator();
  t.teardown(() => erp.close());
  const sb = await startTestEngine({
    channels: [testChannel({ erpUrl: erp.url })],
    dbName: uniqueName('sbfhirdep'),
    prefix: uniqueName('sbq'),
    security: TEST_ENCRYPTION,
  });
  t.teardown(() => sb.close());
  const analyst = await userSession(sb, { username: 'ana.lyst', role: 'analyst' });
  const api = (method: 'PUT' | 'POST', url: string, payload?: object) =>
    sb.engine.http!.inject({ method, url, headers: analyst, ...(payload ? { payload } : {}) });
  const post = (o: { token: string; body: object }) =>
    sb.engine.http!.inject({
      method: 'POST',
      url: '/fhir/clinic-fhir/Encounter',
      headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${o.token}` },
      payload: JSON.stringify(o.body),
    });

  const before = await post({ token: 'first-token-0123456789', body: encounter('e0') });
  t.is(before.statusCode, 404, 'not deployed: not served');
  t.is(before.json().resourceType, 'OperationOutcome');

  const saved = await api('PUT', '/api/channels/clinic-fhir', clinicChannel({ erpUrl: erp.url, token: 'first-token-0123456789' }));
  t.is(saved.statusCode, 201, saved.body);
  t.is((await api('POST', '/api/channels/clinic-fhir/deploy')).statusCode, 200, 'a new FHIR channel deploys without a restart');
  const first = await post({ token: 'first-token-0123456789', body: encounter('e1') });
  t.is(first.statusCode, 201, first.body);
  await waitFor('the encounter delivered by the new channel', () => erp.postings().some((p) => p.idempotencyKey.endsWith(':clinic-erp')));
  const metadata = await sb.engine.http!.inject({ method: 'GET', url: '/fhir/clinic-fhir/metadata' });
  t.deepEqual(
    metadata.json().rest[0].resource.map((r: { type: string }) => r.type),
    ['Encounter'],
  );

  // Tokens are secrets: stored only encrypted (TEST_ENCRYPTION). Version 2 rotates the token and lowers the body limit: both hold at once.
  t.is(
    (
      await api(
        'PUT',
        '/api/channels/clinic-fhir',
        clinicChannel({ erpUrl: erp.url, token: 'second-token-0123456789', bodyLimitBytes: 2048 }),
      )
    ).statusCode,
    201,
  );
  t.is((await api('POST', '/api/channels/clinic-fhir/deploy')).statusCode, 200);
  t.is((await post({ token: 'first-token-0123456789', body: encounter('e2') })).statusCode, 401, 'the old token is refused');
  t.is((await post({ token: 'second-token-0123456789', body: encounter('e3') })).statusCode, 201, 'the new one is taken');
  const large = await post({
    token: 'second-token-0123456789',
    body: { ...encounter('e4'), text: { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${'x'.repeat(4096)}</div>` } },
  });
  t.is(large.statusCode, 413);
  t.is(large.json().issue[0].code, 'too-long');

  await api('POST', '/api/channels/clinic-fhir/pause');
  const paused = await post({ token: 'second-token-0123456789', body: encounter('e5') });
  t.is(paused.statusCode, 503, 'paused: the client is told to retry');
  t.is(paused.headers['retry-after'], '30');
  await api('POST', '/api/channels/clinic-fhir/resume');
  t.is((await post({ token: 'second-token-0123456789', body: encounter('e6') })).statusCode, 201, 'resumed');

  t.is((await api('POST', '/api/channels/clinic-fhir/undeploy')).statusCode, 200);
  t.is((await post({ token: 'second-token-0123456789', body: encounter('e7') })).statusCode, 404, 'undeployed: no longer served');
});
