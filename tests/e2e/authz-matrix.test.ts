import test from 'ava';
import { listAdminRoutes } from '../../engine/http/access.ts';
import { Role } from '../../engine/security/roles.ts';
import { startErpSimulator, type ErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, testChannel, waitFor, type TestEngine } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';
import { signIn, userSession } from '../support/users.ts';

/**
 * The whole authorisation policy as one table: every admin route, and who may call it. `public`:
 * anyone; `any`: any signed-in user; else the roles. A route missing here, or listed here but not
 * served, fails the test: a new route cannot ship without a decision.
 */
const MATRIX: Record<string, 'public' | 'any' | readonly Role[]> = {
  'GET /api/health': 'public',
  'POST /api/auth/login': 'public',
  'POST /api/auth/setup': 'public',
  'POST /api/auth/logout': 'any',
  'GET /api/auth/me': 'any',
  'GET /api/tokens': 'any',
  'POST /api/tokens': 'any',
  'DELETE /api/tokens/:id': 'any',
  'GET /api/users': ['admin'],
  'POST /api/users': ['admin'],
  'PATCH /api/users/:username': ['admin'],
  'DELETE /api/users/:username': ['admin'],
  'GET /api/audit': ['admin', 'auditor'],
  'GET /api/audit/verify': ['admin', 'auditor'],
  'GET /api/audit/export': ['admin', 'auditor'],
  'GET /api/retention/runs': ['admin', 'auditor'],
  'GET /api/retention/runs/:id': ['admin', 'auditor'],
  'POST /api/retention/runs': ['admin'],
  'GET /api/channels': ['admin', 'analyst', 'support', 'viewer'],
  'GET /api/connectors': ['admin', 'analyst', 'support', 'viewer'],
  'GET /api/channels/:id': ['admin', 'analyst', 'support', 'viewer'],
  'GET /api/channels/:id/versions': ['admin', 'analyst', 'support', 'viewer'],
  'GET /api/channels/:id/versions/:version': ['admin', 'analyst', 'support', 'viewer'],
  'GET /api/channels/:id/diff': ['admin', 'analyst', 'support', 'viewer'],
  'POST /api/channels/validate': ['admin', 'analyst'],
  'PUT /api/channels/:id': ['admin', 'analyst'],
  'POST /api/channels/:id/deploy': ['admin', 'analyst'],
  'POST /api/channels/:id/undeploy': ['admin', 'analyst'],
  'POST /api/channels/:id/pause': ['admin', 'analyst'],
  'POST /api/channels/:id/resume': ['admin', 'analyst'],
  'POST /api/channels/:id/rollback': ['admin', 'analyst'],
  'POST /api/channels/:id/preview': ['admin', 'analyst'],
  'GET /api/models/:id/fields': ['admin', 'analyst', 'support', 'viewer'],
  'GET /api/mappings': ['admin', 'analyst', 'support', 'viewer'],
  'GET /api/mappings/functions': ['admin', 'analyst', 'support', 'viewer'],
  'GET /api/mappings/:id': ['admin', 'analyst', 'support', 'viewer'],
  'GET /api/mappings/:id/versions': ['admin', 'analyst', 'support', 'viewer'],
  'POST /api/mappings/check': ['admin', 'analyst'],
  'POST /api/mappings/preview': ['admin', 'analyst'],
  'PUT /api/mappings/:id': ['admin', 'analyst'],
  'GET /api/tables': ['admin', 'analyst', 'support', 'viewer'],
  'GET /api/tables/:name': ['admin', 'analyst', 'support', 'viewer'],
  'GET /api/tables/:name/versions': ['admin', 'analyst', 'support', 'viewer'],
  'GET /api/tables/:name/diff': ['admin', 'analyst', 'support', 'viewer'],
  'GET /api/tables/:name/csv': ['admin', 'analyst', 'support', 'viewer'],
  'POST /api/tables': ['admin', 'analyst'],
  'PUT /api/tables/:name/csv': ['admin', 'analyst'],
  'GET /api/messages': ['admin', 'analyst', 'support', 'viewer'],
  'GET /api/messages/:id': ['admin', 'analyst', 'support', 'viewer'],
  'POST /api/messages/:id/reroute': ['admin', 'support'],
  'POST /api/messages/:id/corrections': ['admin', 'support'],
  'GET /api/schemas': ['admin', 'analyst', 'support', 'viewer'],
  'GET /api/schemas/:id': ['admin', 'analyst', 'support', 'viewer'],
  'GET /api/transforms': ['admin', 'analyst', 'support', 'viewer'],
  'GET /api/transforms/:id': ['admin', 'analyst', 'support', 'viewer'],
  'POST /api/transforms/:id/run': ['admin', 'analyst'],
  'GET /api/deliveries/dead': ['admin', 'analyst', 'support', 'viewer'],
  'GET /api/deliveries/dead/counts': ['admin', 'analyst', 'support', 'viewer'],
  'POST /api/replays': ['admin', 'support'],
  'GET /api/replays': ['admin', 'analyst', 'support', 'viewer'],
  'GET /api/replays/:id': ['admin', 'analyst', 'support', 'viewer'],
  'GET /api/flows': ['admin', 'analyst', 'support', 'viewer'],
  'GET /api/flows/:flowId': ['admin', 'analyst', 'support', 'viewer'],
  'GET /api/flows/instances': ['admin', 'analyst', 'support', 'viewer'],
  'GET /api/flows/instances/:id': ['admin', 'analyst', 'support', 'viewer'],
  'POST /api/flows/instances/:id/steps/:stepId/retry': ['admin', 'support'],
  'POST /api/flows/instances/:id/steps/:stepId/skip': ['admin', 'support'],
  'POST /api/flows/instances/:id/abort': ['admin', 'support'],
  'GET /api/alerts': ['admin', 'analyst', 'support', 'viewer'],
  'GET /api/alerts/history': ['admin', 'analyst', 'support', 'viewer'],
  'GET /api/alerts/:id': ['admin', 'analyst', 'support', 'viewer'],
  'GET /api/alert-rules': ['admin', 'analyst', 'support', 'viewer'],
  'GET /api/alert-rules/export': ['admin', 'analyst', 'support', 'viewer'],
  'GET /api/alert-rules/:id': ['admin', 'analyst', 'support', 'viewer'],
  'GET /api/alert-rules/:id/versions': ['admin', 'analyst', 'support', 'viewer'],
  'GET /api/alert-rules/:id/diff': ['admin', 'analyst', 'support', 'viewer'],
  'POST /api/alert-rules/validate': ['admin', 'support'],
  'POST /api/alert-rules': ['admin', 'support'],
  'POST /api/alert-rules/import': ['admin', 'support'],
  'POST /api/alert-rules/:id/deploy': ['admin', 'support'],
  'POST /api/alert-rules/:id/enable': ['admin', 'support'],
  'POST /api/alert-rules/:id/disable': ['admin', 'support'],
  'GET /api/alert-silences': ['admin', 'analyst', 'support', 'viewer'],
  'POST /api/alert-silences': ['admin', 'support'],
  'DELETE /api/alert-silences/:id': ['admin', 'support'],
  'GET /api/metrics/summary': ['admin', 'analyst', 'support', 'viewer'],
  // Prometheus: the API token of a `monitor` user (that role reads nothing else), or an admin.
  'GET /metrics': ['admin', 'monitor'],
  // The API describing itself: any signed-in user; the route inventory is not public.
  'GET /api/openapi.json': 'any',
  'GET /api/docs': 'any',
  'GET /api/docs.css': 'any',
};

/** The patient's MRN, with letters no hex id, hash or time holds, so a chance match in a random value is impossible. */
const MRN = 'RX4711Q';
const ADT =
  'MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315083000||ADT^A01|AZ1|P|2.5.1\r' +
  `EVN|A01|20260315083000\rPID|1||${MRN}^^^GENHOSP^MR||ROEBUCK^RITA||19800101|F\rPV1|1|I|4W\r`;

let erp: ErpSimulator;
let sb: TestEngine;
const sessions = new Map<Role, { cookie: string; 'x-csrf-token': string }>();
let messageId: string;

test.before(async () => {
  erp = await startErpSimulator();
  // Ordered by the patient's MRN, so a delivery's order key is patient data too.
  const channel = testChannel({ erpUrl: erp.url });
  sb = await startTestEngine({
    channels: [
      {
        ...channel,
        destinations: channel.destinations.map((d) => ({ ...d, ordering: { key: 'patient.mrn', onHeadFailure: 'park' as const } })),
      },
    ],
  });
  for (const role of Object.values(Role)) sessions.set(role, await userSession(sb, { username: `${role}-user`, role }));
  const client = await MllpTestClient.connect(sb.mllpPort);
  if (field(await client.send(ADT), 'MSA', 1) !== 'AA') throw new Error('sample message not accepted');
  client.close();
  messageId = (await waitFor('stored', async () => (await sb.engine.store!.messages.list({ controlId: 'AZ1', limit: 1 }))[0]))._id;
});
test.after.always(async () => {
  await sb?.close();
  await erp?.close();
});

/** A request that passes authorisation but changes nothing: unknown ids, and bodies that fail validation. */
const probe = (method: string, url: string, headers: Record<string, string>) =>
  sb.engine.http!.inject({
    method: method as 'GET',
    url: url.replace(':id', 'no-such-id').replace(':username', 'no-such-user').replace(':flowId', 'no-such-flow'),
    headers,
    ...(method === 'GET' || method === 'DELETE' ? {} : { payload: { probe: true } }),
  });

test.serial('every admin route is in the matrix, and every role gets exactly what the matrix says', async (t) => {
  const served = listAdminRoutes(sb.engine.http!).map((r) => `${r.method} ${r.url}`);
  t.deepEqual([...served].sort(), Object.keys(MATRIX).sort(), 'the matrix lists exactly the routes served');
  for (const key of served) {
    const [method, url] = key.split(' ') as [string, string];
    const rule = MATRIX[key]!;
    const anonymous = await probe(method, url, {});
    t.is(anonymous.statusCode === 401, rule !== 'public', `${key} anonymous: ${anonymous.statusCode}`);
    for (const role of Object.values(Role)) {
      // Signing out ends the session it is called with: that probe gets a session of its own.
      const headers = key === 'POST /api/auth/logout' ? await signIn(sb, `${role}-user`) : sessions.get(role)!;
      const res = await probe(method, url, headers);
      const allowed = rule === 'public' || rule === 'any' || rule.includes(role);
      t.is(![401, 403].includes(res.statusCode), allowed, `${key} as ${role}: ${res.statusCode} ${res.body.slice(0, 120)}`);
    }
  }
});

test.serial('BOLA: a user scoped to another channel cannot see this channel’s message, and the attempt is audited', async (t) => {
  const scoped = await userSession(sb, { username: 'scoped-support', role: 'support', channels: ['lab-results'], phi: true });
  const one = await sb.engine.http!.inject({ method: 'GET', url: `/api/messages/${messageId}`, headers: scoped });
  t.is(one.statusCode, 404);
  t.is((await sb.engine.http!.inject({ method: 'GET', url: '/api/messages', headers: scoped })).json().items.length, 0);
  t.is(
    (await sb.engine.http!.inject({ method: 'GET', url: `/api/messages?channel=${'ehr-mllp'}`, headers: scoped })).json().items.length,
    0,
  );
  const replay = await sb.engine.http!.inject({
    method: 'POST',
    url: '/api/replays',
    headers: scoped,
    payload: { messageIds: [messageId], reason: 'try it', dryRun: true },
  });
  t.is(replay.statusCode, 404);
  const denied = (await sb.engine.http!.inject({ method: 'GET', url: '/api/audit?action=access.denied', headers: sb.adminHeaders })).json()
    .items;
  t.true(denied.some((e: { actor: string; target: string }) => e.actor === 'scoped-support' && e.target === `message:${messageId}`));
  const allowed = await sb.engine.http!.inject({ method: 'GET', url: `/api/messages/${messageId}`, headers: sessions.get('support')! });
  t.is(allowed.statusCode, 200, 'an unscoped support user sees it');
});

test.serial('BFLA: a viewer cannot replay or re-route, and is told so (403)', async (t) => {
  const viewer = sessions.get('viewer')!;
  const replay = await sb.engine.http!.inject({
    method: 'POST',
    url: '/api/replays',
    headers: viewer,
    payload: { messageIds: [messageId], reason: 'try it', dryRun: false },
  });
  t.is(replay.statusCode, 403);
  t.is(replay.json().code, 'FORBIDDEN');
  t.is((await sb.engine.http!.inject({ method: 'POST', url: `/api/messages/${messageId}/reroute`, headers: viewer })).statusCode, 403);
});

test.serial('without the PHI permission names and MRNs are masked; with it they are shown; each view is audited', async (t) => {
  const masked = (
    await sb.engine.http!.inject({ method: 'GET', url: `/api/messages/${messageId}`, headers: sessions.get('viewer')! })
  ).json();
  t.true(masked.masked);
  t.false(masked.raw.includes('ROEBUCK'));
  t.false(masked.raw.includes(MRN));
  t.regex(masked.raw, /PID\|1\|\|\*\*\*\|\|\*\*\*\|\|\*\*\*\|F/);
  t.is(masked.summary.mrn, '***');
  t.false(JSON.stringify(masked.canonical).includes(MRN));
  t.is(masked.deliveries.erp.orderKey, '***', 'an order key by patient is masked');
  t.false(JSON.stringify(masked).includes(MRN), 'the MRN is nowhere in the masked view');
  t.false('orderKeys' in masked || 'searchKeys' in masked, 'index-only fields are not shown');
  const list = (
    await sb.engine.http!.inject({ method: 'GET', url: '/api/messages?controlId=AZ1', headers: sessions.get('viewer')! })
  ).json();
  t.deepEqual(
    list.items.map((m: { summary: { mrn: string } }) => m.summary.mrn),
    ['***'],
    'search by control id works, the answer is masked',
  );
  t.false(JSON.stringify(list).includes(MRN), 'nor in the list');
  // Search by MRN needs the PHI permission (issue 20 finding 4; tests/security/viewer-mrn-search.test.ts).
  t.is(
    (await sb.engine.http!.inject({ method: 'GET', url: `/api/messages?mrn=${MRN}`, headers: sessions.get('viewer')! })).statusCode,
    403,
  );

  const phiUser = await userSession(sb, { username: 'phi-support', role: 'support', phi: true });
  const clear = (await sb.engine.http!.inject({ method: 'GET', url: `/api/messages/${messageId}`, headers: phiUser })).json();
  t.false(clear.masked);
  t.true(clear.raw.includes('ROEBUCK^RITA'));
  t.is(clear.summary.mrn, MRN);
  t.is(clear.deliveries.erp.orderKey, MRN);
  const views = (await sb.engine.http!.inject({ method: 'GET', url: '/api/audit?action=message.view', headers: sb.adminHeaders })).json()
    .items;
  t.deepEqual(
    views
      .filter((e: { target: string }) => e.target === `message:${messageId}`)
      .map((e: { actor: string; details: { phi: boolean } }) => [e.actor, e.details.phi])
      .slice(0, 2),
    [
      ['phi-support', true],
      ['viewer-user', false],
    ],
  );
  for (const action of ['message.search', 'access.denied']) {
    const entries = (await sb.engine.http!.inject({ method: 'GET', url: `/api/audit?action=${action}`, headers: sb.adminHeaders })).json()
      .items as Record<string, unknown>[];
    t.true(entries.length > 0, `${action} is audited`);
    t.false(JSON.stringify(entries).includes(MRN), `${action}: audited without the MRN searched for`);
  }
});
