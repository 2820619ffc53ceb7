import test from 'ava';
import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import ehrFhir from '../../channels/ehr-fhir.channel.ts';
import { startErpSimulator, type ErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, testChannel, type TestEngine, TEST_ENCRYPTION } from '../support/harness.ts';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-384' });
const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = (key: KeyObject, kid: string) => ({ ...key.export({ format: 'jwk' }), kid, use: 'sig' });
const HOST = 'switchboard.test';
const ENDPOINT = `http://${HOST}/fhir/ehr-fhir/auth/token`;

let erp: ErpSimulator;
let sb: TestEngine;
test.before(async () => {
  erp = await startErpSimulator();
  const fhir = {
    ...ehrFhir,
    source: {
      kind: 'fhir' as const,
      tokens: [],
      publicBaseUrl: `http://${HOST}/fhir/ehr-fhir/`,
      clients: [
        { clientId: 'billing-app', jwks: { keys: [jwk(rsa.publicKey, 'rsa-1')] }, scopes: ['system/ChargeItem.write'] },
        { clientId: 'ec-app', jwks: { keys: [jwk(ec.publicKey, 'ec-1')] }, scopes: ['system/*.c'] },
      ],
    },
    destinations: ehrFhir.destinations.map((d) => ({ ...d, config: { baseUrl: erp.url } })),
  };
  sb = await startTestEngine({ channels: [testChannel({ erpUrl: erp.url }), fhir], security: TEST_ENCRYPTION });
});
test.after.always(async () => {
  await sb?.close();
  await erp?.close();
});

/** A client assertion signed in the test: RS384 or ES384, with the claims SMART requires, overridable. */
function assertion(o: { alg: 'RS384' | 'ES384'; key: KeyObject; kid: string; iss: string; claims?: Record<string, unknown> }): string {
  const now = Math.floor(Date.now() / 1000);
  const part = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const header = part({ alg: o.alg, kid: o.kid, typ: 'JWT' });
  const payload = part({ iss: o.iss, sub: o.iss, aud: ENDPOINT, exp: now + 240, jti: randomUUID(), ...o.claims });
  const data = `${header}.${payload}`;
  const signature =
    o.alg === 'ES384'
      ? sign('sha384', Buffer.from(data), { key: o.key, dsaEncoding: 'ieee-p1363' })
      : sign('sha384', Buffer.from(data), o.key);
  return `${data}.${signature.toString('base64url')}`;
}

const tokenRequest = (clientAssertion: string, scope: string) =>
  sb.engine.http!.inject({
    method: 'POST',
    url: '/fhir/ehr-fhir/auth/token',
    headers: { host: HOST, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: clientAssertion,
      scope,
    }).toString(),
  });
const post = (token: string, type: string, body: object, method: 'POST' | 'PUT' = 'POST', id = '') =>
  sb.engine.http!.inject({
    method,
    url: `/fhir/ehr-fhir/${type}${id ? `/${id}` : ''}`,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' },
    payload: JSON.stringify(body),
  });

const chargeItem = {
  resourceType: 'ChargeItem',
  status: 'billable',
  code: { coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: '27447' }] },
  subject: { reference: 'Patient/pat-1' },
  context: { reference: 'Encounter/enc-v1' },
  occurrenceDateTime: '2026-03-20',
};
const encounter = {
  resourceType: 'Encounter',
  id: 'enc-v9',
  status: 'in-progress',
  class: { code: 'IMP' },
  subject: { reference: 'Patient/pat-1' },
  period: { start: '2026-03-20' },
};

test('discovery names the token endpoint and what it supports', async (t) => {
  const res = await sb.engine.http!.inject({
    method: 'GET',
    url: '/fhir/ehr-fhir/.well-known/smart-configuration',
    headers: { host: HOST },
  });
  t.is(res.json().token_endpoint, ENDPOINT);
  t.deepEqual(res.json().token_endpoint_auth_signing_alg_values_supported, ['RS384', 'ES384']);
});

test('an RS384 client gets a token for its scopes and posts within them; outside them it gets 403', async (t) => {
  const res = await tokenRequest(
    assertion({ alg: 'RS384', key: rsa.privateKey, kid: 'rsa-1', iss: 'billing-app' }),
    'system/ChargeItem.write system/Encounter.write',
  );
  t.is(res.statusCode, 200, res.body);
  t.is(res.json().scope, 'system/ChargeItem.write', 'only registered scopes are granted');
  t.is(res.json().expires_in, 300);
  const token = res.json().access_token as string;
  t.is((await post(token, 'ChargeItem', chargeItem)).statusCode, 201);
  const forbidden = await post(token, 'Encounter', encounter);
  t.is(forbidden.statusCode, 403);
  t.is(forbidden.json().issue[0].code, 'forbidden');
});

test('an ES384 client with SMART v2 create scopes may create but not update', async (t) => {
  const res = await tokenRequest(assertion({ alg: 'ES384', key: ec.privateKey, kid: 'ec-1', iss: 'ec-app' }), 'system/*.c');
  t.is(res.statusCode, 200, res.body);
  const token = res.json().access_token as string;
  t.is((await post(token, 'Encounter', encounter)).statusCode, 201);
  t.is((await post(token, 'Encounter', encounter, 'PUT', 'enc-v9')).statusCode, 403);
});

test('expired, too long-lived, replayed, wrongly signed, wrongly addressed or unknown assertions are refused', async (t) => {
  const now = Math.floor(Date.now() / 1000);
  const refused = async (a: string, why: RegExp, scope = 'system/ChargeItem.write') => {
    const res = await tokenRequest(a, scope);
    t.is(res.statusCode, 401, res.body);
    t.is(res.json().error, 'invalid_client');
    t.regex(res.json().error_description, why);
  };
  await refused(assertion({ alg: 'RS384', key: rsa.privateKey, kid: 'rsa-1', iss: 'billing-app', claims: { exp: now - 10 } }), /expired/);
  await refused(
    assertion({ alg: 'RS384', key: rsa.privateKey, kid: 'rsa-1', iss: 'billing-app', claims: { exp: now + 600 } }),
    /at most 5 minutes/,
  );
  const once = assertion({ alg: 'RS384', key: rsa.privateKey, kid: 'rsa-1', iss: 'billing-app' });
  t.is((await tokenRequest(once, 'system/ChargeItem.write')).statusCode, 200);
  await refused(once, /already used/);
  await refused(assertion({ alg: 'RS384', key: stranger.privateKey, kid: 'rsa-1', iss: 'billing-app' }), /signature/);
  await refused(
    assertion({ alg: 'RS384', key: rsa.privateKey, kid: 'rsa-1', iss: 'billing-app', claims: { aud: 'https://elsewhere/token' } }),
    /aud/,
  );
  await refused(assertion({ alg: 'RS384', key: rsa.privateKey, kid: 'rsa-1', iss: 'nobody' }), /unknown client/);
  const hsHeader = Buffer.from(JSON.stringify({ alg: 'HS256' })).toString('base64url');
  const hsPayload = Buffer.from(JSON.stringify({ iss: 'billing-app' })).toString('base64url');
  const hs = `${hsHeader}.${hsPayload}.x`;
  await refused(hs, /alg HS256 is not accepted/);
  const scope = await tokenRequest(
    assertion({ alg: 'RS384', key: rsa.privateKey, kid: 'rsa-1', iss: 'billing-app' }),
    'system/Patient.write',
  );
  t.is(scope.statusCode, 400);
  t.is(scope.json().error, 'invalid_scope');
});

test('an assertion addressed to another host is refused even when the request names that host (spoofed Host header)', async (t) => {
  const elsewhere = 'http://attacker.test/fhir/ehr-fhir/auth/token';
  const spoofed = (path: string, o: { payload?: string } = {}) =>
    sb.engine.http!.inject({
      method: o.payload ? 'POST' : 'GET',
      url: `/fhir/ehr-fhir${path}`,
      headers: { host: 'attacker.test', 'content-type': 'application/x-www-form-urlencoded' },
      ...(o.payload ? { payload: o.payload } : {}),
    });
  const discovery = await spoofed('/.well-known/smart-configuration');
  t.is(discovery.json().token_endpoint, ENDPOINT, 'discovery names the configured endpoint, not the Host header');
  const a = assertion({ alg: 'RS384', key: rsa.privateKey, kid: 'rsa-1', iss: 'billing-app', claims: { aud: elsewhere } });
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: a,
    scope: 'system/ChargeItem.write',
  }).toString();
  const res = await spoofed('/auth/token', { payload: form });
  t.is(res.statusCode, 401, res.body);
  t.is(res.json().error, 'invalid_client');
  t.regex(res.json().error_description, /aud must be the token endpoint http:\/\/switchboard\.test\/fhir\/ehr-fhir\/auth\/token/);
  const metadata = await spoofed('/metadata');
  t.is(metadata.json().implementation.url, `http://${HOST}/fhir/ehr-fhir`);
});

test('a request without a token is refused before its body is parsed, and a made-up token too', async (t) => {
  const none = await sb.engine.http!.inject({
    method: 'POST',
    url: '/fhir/ehr-fhir/ChargeItem',
    headers: { 'content-type': 'application/fhir+json' },
    payload: '{ broken',
  });
  t.is(none.statusCode, 401);
  t.is((await post('made-up', 'ChargeItem', chargeItem)).statusCode, 401);
});
