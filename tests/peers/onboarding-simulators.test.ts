import test from 'ava';
import { SCIM_USER, startScimIdentitySimulator } from '../../peers/scim-identity-simulator.ts';
import { WORKFORCE_SPECS, startWorkforceSimulator, type WorkforceSystem } from '../../peers/workforce-simulators.ts';

const SCIM_ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const scimPost = (url: string, body: unknown, key?: string) =>
  fetch(`${url}/Users`, {
    method: 'POST',
    headers: { 'content-type': 'application/scim+json', ...(key ? { 'idempotency-key': key } : {}) },
    body: JSON.stringify(body),
  });
const jane = {
  schemas: [SCIM_USER],
  userName: 'jdoe',
  externalId: 'HR-1001',
  name: { givenName: 'Jane', familyName: 'Doe' },
  emails: [{ value: 'jdoe@example.org', type: 'work', primary: true }],
};

test('SCIM: create answers 201 scim+json with id, meta and Location; GET /Users/:id reads it back', async (t) => {
  const scim = await startScimIdentitySimulator();
  t.teardown(() => scim.close());
  const r = await scimPost(scim.url, jane);
  t.is(r.status, 201);
  t.is(r.headers.get('content-type'), 'application/scim+json');
  const user = (await r.json()) as { id: string; meta: { location: string; resourceType: string }; active: boolean };
  t.regex(user.id, /^[0-9a-f-]{36}$/);
  t.like(user, { userName: 'jdoe', externalId: 'HR-1001', active: true, schemas: [SCIM_USER], name: jane.name, emails: jane.emails });
  t.is(user.meta.resourceType, 'User');
  t.is(user.meta.location, `${scim.url}/Users/${user.id}`);
  t.is(r.headers.get('location'), user.meta.location);
  const got = await fetch(`${scim.url}/Users/${user.id}`);
  t.is(got.status, 200);
  t.deepEqual(await got.json(), user);
  t.is(scim.users().length, 1);
});

test('SCIM: a taken userName (any case) is 409 uniqueness as a SCIM Error; the same Idempotency-Key replays the 201', async (t) => {
  const scim = await startScimIdentitySimulator();
  t.teardown(() => scim.close());
  const first = await (await scimPost(scim.url, jane, 'f1:identity')).text();
  const replay = await scimPost(scim.url, jane, 'f1:identity');
  t.is(replay.status, 201);
  t.is(await replay.text(), first);
  const clash = await scimPost(scim.url, { ...jane, userName: 'JDOE' }, 'f2:identity');
  t.is(clash.status, 409);
  t.is(clash.headers.get('content-type'), 'application/scim+json');
  t.like(await clash.json(), { schemas: [SCIM_ERROR], status: '409', scimType: 'uniqueness' });
  t.is(scim.users().length, 1);
});

test('SCIM: filter by userName (and externalId) answers a ListResponse; an unsupported filter is 400 invalidFilter', async (t) => {
  const scim = await startScimIdentitySimulator();
  t.teardown(() => scim.close());
  await scimPost(scim.url, jane);
  await scimPost(scim.url, { schemas: [SCIM_USER], userName: 'bsmith' });
  const list = (f: string) => fetch(`${scim.url}/Users?filter=${encodeURIComponent(f)}`);
  const hit = await list('userName eq "jdoe"');
  t.is(hit.status, 200);
  const body = (await hit.json()) as { totalResults: number; Resources: { userName: string }[]; schemas: string[] };
  t.deepEqual(body.schemas, ['urn:ietf:params:scim:api:messages:2.0:ListResponse']);
  t.is(body.totalResults, 1);
  t.is(body.Resources[0]?.userName, 'jdoe');
  t.like(await (await list('externalId eq "HR-1001"')).json(), { totalResults: 1 });
  t.like(await (await list('userName eq "nobody"')).json(), { totalResults: 0, Resources: [] });
  t.like(await (await fetch(`${scim.url}/Users`)).json(), { totalResults: 2 });
  const bad = await list('emails co "x"');
  t.is(bad.status, 400);
  t.like(await bad.json(), { status: '400', scimType: 'invalidFilter' });
});

test('SCIM: DELETE removes the user (204), then 404 as a SCIM Error; a bad create is 400', async (t) => {
  const scim = await startScimIdentitySimulator();
  t.teardown(() => scim.close());
  const { id } = (await (await scimPost(scim.url, jane)).json()) as { id: string };
  t.is((await fetch(`${scim.url}/Users/${id}`, { method: 'DELETE' })).status, 204);
  const gone = await fetch(`${scim.url}/Users/${id}`);
  t.is(gone.status, 404);
  t.like(await gone.json(), { schemas: [SCIM_ERROR], status: '404' });
  t.is((await fetch(`${scim.url}/Users/${id}`, { method: 'DELETE' })).status, 404);
  t.like(await (await scimPost(scim.url, { userName: 'x' })).json(), { status: '400', scimType: 'invalidSyntax' });
  t.like(await (await scimPost(scim.url, { schemas: [SCIM_USER] })).json(), { status: '400', scimType: 'invalidValue' });
  t.is((await scimPost(scim.url, { ...jane, userName: 'again' })).status, 201);
});

test('SCIM: a simulated failure is a SCIM Error too', async (t) => {
  const scim = await startScimIdentitySimulator();
  t.teardown(() => scim.close());
  scim.setBehaviour({ mode: 'fail', status: 503, times: 1 });
  const r = await scimPost(scim.url, jane, 'k');
  t.is(r.status, 503);
  t.like(await r.json(), { schemas: [SCIM_ERROR], status: '503' });
  t.is((await scimPost(scim.url, jane, 'k')).status, 201);
});

const samples: Record<WorkforceSystem, Record<string, unknown>> = {
  scheduling: { userId: 'u1', department: 'Cardiology' },
  payroll: { userId: 'u1', payGrade: 'N5' },
  costCenter: { userId: 'u1', costCenter: 'CC-410' },
  credentialing: { userId: 'u1', role: 'RN' },
  approval: { userId: 'u1', costCenter: 'CC-410' },
};

for (const system of Object.keys(samples) as WorkforceSystem[]) {
  test(`workforce ${system}: recorded once per key with an id; missing fields 400; fail then retry`, async (t) => {
    const spec = WORKFORCE_SPECS[system];
    const peer = await startWorkforceSimulator(system);
    t.teardown(() => peer.close());
    const send = (key: string, body: unknown) =>
      fetch(`${peer.url}${spec.path}`, { method: 'POST', headers: { 'idempotency-key': key }, body: JSON.stringify(body) });
    peer.setBehaviour({ mode: 'fail', status: 500, times: 1 });
    t.is((await send(`f1:${system}`, samples[system])).status, 500);
    const a = await send(`f1:${system}`, samples[system]);
    t.is(a.status, 201);
    const text = await a.text();
    t.is(JSON.parse(text)[spec.idField], `${spec.idPrefix}-000001`);
    t.is(await (await send(`f1:${system}`, samples[system])).text(), text);
    t.is(peer.records().length, 1);
    t.is(peer.deliveries(`f1:${system}`), 3);
    t.is((await send(`f2:${system}`, { userId: 'u2' })).status, 400);
  });
}
