import test from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { CONTENT_SECURITY_POLICY } from '../../engine/http/security-headers.ts';
import { startErpSimulator, type ErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, TEST_ADMIN, testChannel, type TestEngine, TEST_ENCRYPTION } from '../support/harness.ts';
import { sharedMongoUrl } from '../support/services.ts';
import { REPO_ROOT } from '../support/shared.ts';
import { createUser, signIn, TEST_PASSWORD } from '../support/users.ts';

let erp: ErpSimulator;
let sb: TestEngine;
let mongo: MongoClient;

test.before(async () => {
  erp = await startErpSimulator();
  const channel = testChannel({ erpUrl: erp.url });
  const withKey = {
    ...channel,
    destinations: channel.destinations.map((d) => ({ ...d, config: { ...d.config, apiKey: 'erp-api-key-do-not-show' } })),
  };
  sb = await startTestEngine({ channels: [withKey], security: { LOGIN_MAX_FAILURES: 3, ...TEST_ENCRYPTION } });
  mongo = new MongoClient(sharedMongoUrl(), { serverApi: { version: '1' } });
  await mongo.connect();
});
test.after.always(async () => {
  await mongo?.close();
  await sb?.close();
  await erp?.close();
});

const inject = (o: { method?: string; url: string; headers?: Record<string, string>; payload?: unknown }) =>
  sb.engine.http!.inject({
    method: (o.method ?? 'GET') as 'GET',
    url: o.url,
    ...(o.headers ? { headers: o.headers } : {}),
    ...(o.payload !== undefined ? { payload: o.payload as object } : {}),
  });
const db = () => mongo.db(sb.config.MONGODB_DB);

test.serial('sign-in sets an httpOnly, Secure, SameSite=Strict cookie; a change without the CSRF token is refused', async (t) => {
  await createUser(sb, { username: 'casey', role: 'support' });
  const res = await inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'casey', password: TEST_PASSWORD } });
  t.is(res.statusCode, 200);
  t.regex(String(res.headers['set-cookie']), /^sb_session=sbs_[\w-]+; Path=\/; HttpOnly; Secure; SameSite=Strict; Max-Age=\d+$/);
  const cookie = String(res.headers['set-cookie']).split(';')[0]!;
  t.is((await inject({ url: '/api/auth/me', headers: { cookie } })).json().role, 'support');
  const noCsrf = await inject({
    method: 'POST',
    url: '/api/replays',
    headers: { cookie },
    payload: { messageIds: ['x'], reason: 'csrf?', dryRun: true },
  });
  t.is(noCsrf.statusCode, 403);
  const withCsrf = await inject({
    method: 'POST',
    url: '/api/replays',
    headers: { cookie, 'x-csrf-token': res.json().csrfToken },
    payload: { messageIds: ['x'], reason: 'csrf ok', dryRun: true },
  });
  t.is(withCsrf.statusCode, 200);
  t.is(
    (await inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie, 'x-csrf-token': res.json().csrfToken } })).statusCode,
    204,
  );
  t.is((await inject({ url: '/api/auth/me', headers: { cookie } })).statusCode, 401, 'the session ended');
});

test.serial('wrong passwords lock the account; the lock holds even for the right password; an admin unlocks it; all audited', async (t) => {
  await createUser(sb, { username: 'lou', role: 'viewer' });
  for (let i = 0; i < 3; i++)
    t.is(
      (await inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'lou', password: 'not the password' } })).statusCode,
      401,
    );
  const locked = await inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'lou', password: TEST_PASSWORD } });
  t.is(locked.statusCode, 401);
  t.is(locked.json().detail, 'wrong user name or password, or the account is locked', 'one answer for every refusal');
  t.is((await inject({ method: 'PATCH', url: '/api/users/lou', headers: sb.adminHeaders, payload: { unlock: true } })).statusCode, 200);
  t.is((await inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'lou', password: TEST_PASSWORD } })).statusCode, 200);
  const failures = (await inject({ url: '/api/audit?action=auth.login-failed&actor=lou', headers: sb.adminHeaders })).json().items;
  t.deepEqual(
    failures.map((e: { details: { reason: string } }) => e.details.reason),
    ['account locked', 'wrong password; account now locked', 'wrong password', 'wrong password'],
  );
  const update = (await inject({ url: '/api/audit?action=user.update', headers: sb.adminHeaders })).json().items[0];
  t.is(update.target, 'user:lou');
  t.is(update.details.diff[0].field, 'lockedUntil');
});

test.serial('an idle session ends; sessions and API tokens are stored only as hashes; a token is shown once', async (t) => {
  await createUser(sb, { username: 'idle', role: 'viewer' });
  const session = await signIn(sb, 'idle');
  await db()
    .collection('sessions')
    .updateMany({ username: 'idle' }, { $set: { lastSeenAt: new Date(Date.now() - 16 * 60_000) } });
  t.is((await inject({ url: '/api/auth/me', headers: { cookie: session.cookie } })).statusCode, 401);

  const fresh = await signIn(sb, 'idle');
  const created = await inject({ method: 'POST', url: '/api/tokens', headers: fresh, payload: { name: 'nightly export' } });
  t.is(created.statusCode, 201);
  const { token, id } = created.json();
  t.regex(token, /^sbt_/);
  t.is((await inject({ url: '/api/auth/me', headers: { authorization: `Bearer ${token}` } })).json().username, 'idle');
  const listed = (await inject({ url: '/api/tokens', headers: fresh })).json().items;
  t.deepEqual(
    listed.map((x: Record<string, unknown>) => [x.id, x.name, 'token' in x]),
    [[id, 'nightly export', false]],
  );
  const stored =
    JSON.stringify(await db().collection('api_tokens').find().toArray()) +
    JSON.stringify(await db().collection('sessions').find().toArray());
  t.false(stored.includes(token));
  t.false(stored.includes(fresh.cookie.split('=')[1]!));
  t.is((await inject({ method: 'DELETE', url: `/api/tokens/${id}`, headers: fresh })).statusCode, 204);
  t.is((await inject({ url: '/api/auth/me', headers: { authorization: `Bearer ${token}` } })).statusCode, 401);
});

test.serial('users: passwords are scrypt hashes, short ones are refused, and the API never returns a hash', async (t) => {
  t.is(
    (
      await inject({
        method: 'POST',
        url: '/api/users',
        headers: sb.adminHeaders,
        payload: { username: 'shorty', password: 'short', role: 'viewer', channels: '*', phi: false },
      })
    ).statusCode,
    400,
  );
  const users = (await inject({ url: '/api/users', headers: sb.adminHeaders })).json().items;
  t.true(users.some((u: { username: string }) => u.username === TEST_ADMIN.username));
  t.false(JSON.stringify(users).includes('scrypt'));
  const admin = await db().collection<{ _id: string; passwordHash: string }>('users').findOne({ _id: TEST_ADMIN.username });
  t.regex(admin!.passwordHash, /^scrypt\$15\$8\$1\$/);
});

test.serial('security headers and a strict CSP on every answer; no CORS; bodies over the limit get 413', async (t) => {
  const res = await inject({ url: '/api/health', headers: { origin: 'https://evil.example' } });
  t.is(res.headers['content-security-policy'], CONTENT_SECURITY_POLICY);
  t.is(res.headers['x-content-type-options'], 'nosniff');
  t.is(res.headers['x-frame-options'], 'DENY');
  t.is(res.headers['cache-control'], 'no-store');
  t.is(res.headers['access-control-allow-origin'], undefined);
  const preflight = await inject({
    method: 'OPTIONS',
    url: '/api/messages',
    headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
  });
  t.is(preflight.headers['access-control-allow-origin'], undefined);
  const big = await inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'x', password: 'y'.repeat(10_000) } });
  t.is(big.statusCode, 413);
  t.is(big.json().code, 'PAYLOAD_TOO_LARGE');
});

test.serial('an anonymous request is refused before its body is parsed', async (t) => {
  const res = await inject({ method: 'POST', url: '/api/replays', headers: { 'content-type': 'application/json' }, payload: '{ not json' });
  t.is(res.statusCode, 401, 'not 400: the body was never read');
});

test.serial('channels are listed with their secrets masked', async (t) => {
  const channels = (await inject({ url: '/api/channels', headers: sb.adminHeaders })).json().items;
  t.is(channels[0].id, 'ehr-mllp');
  t.is(channels[0].destinations[0].config.apiKey, '********');
  t.false(JSON.stringify(channels).includes('erp-api-key-do-not-show'));
  const change = (await inject({ url: '/api/audit?action=config.change', headers: sb.adminHeaders })).json().items[0];
  t.is(change.actor, 'system', 'the first deployment of the channels is audited');
  t.false(JSON.stringify(change).includes('erp-api-key-do-not-show'));
});

test.serial('tampering with one audit entry makes `switchboard audit verify` fail and name it', async (t) => {
  const run = (args: string[]) =>
    promisify(execFile)(process.execPath, [path.join(REPO_ROOT, 'bin/switchboard.js'), 'audit', ...args], {
      env: { ...process.env, MONGODB_URL: sharedMongoUrl(), MONGODB_DB: sb.config.MONGODB_DB },
    }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
  const intact = await run(['verify']);
  t.is(intact.code, 0, intact.stderr);
  t.regex(intact.stdout, /audit log intact: \d+ entries/);
  const fhir = JSON.parse((await run(['export', '--format', 'fhir'])).stdout);
  t.is(fhir.resourceType, 'Bundle');
  t.is(fhir.entry[0].resource.resourceType, 'AuditEvent');

  const audit = db().collection<{ _id: string; seq: number; actor: string }>('audit');
  const victim = (await audit.find({ actor: 'lou' }).sort({ seq: 1 }).limit(1).toArray())[0]!;
  await audit.updateOne({ _id: victim._id }, { $set: { actor: 'someone-else' } });
  const broken = await run(['verify']);
  t.is(broken.code, 1);
  t.true(broken.stderr.includes(`entry #${victim.seq} (id ${victim._id})`), broken.stderr);
  t.regex(broken.stderr, /altered/);
  const api = (await inject({ url: '/api/audit/verify', headers: sb.adminHeaders })).json();
  t.like(api, { ok: false, seq: victim.seq, id: victim._id });
});

test.serial('failed sign-ins from one address are throttled (429) before passwords are checked', async (t) => {
  let last = 0;
  for (let i = 0; i < 12; i++)
    last = (await inject({ method: 'POST', url: '/api/auth/login', payload: { username: `nobody-${i}`, password: 'whatever it is' } }))
      .statusCode;
  t.is(last, 429);
});

test('without SWITCHBOARD_ADMIN_PASSWORD a one-time setup token is printed once; it creates the first administrator, once', async (t) => {
  const lines: string[] = [];
  const fresh = await startTestEngine({
    channels: [testChannel({ erpUrl: erp.url })],
    security: { SWITCHBOARD_ADMIN_PASSWORD: undefined },
    announce: (l) => lines.push(l),
  });
  t.teardown(() => fresh.close());
  t.is(lines.length, 1);
  const setupToken = /(sbsetup_[\w-]+)/.exec(lines[0]!)![1]!;
  const call = (payload: object) => fresh.engine.http!.inject({ method: 'POST', url: '/api/auth/setup', payload });
  t.is((await call({ setupToken: 'sbsetup_wrong-token', username: 'root', password: 'a very good password' })).statusCode, 403);
  t.is((await call({ setupToken, username: 'root', password: 'a very good password' })).statusCode, 201);
  t.is((await call({ setupToken, username: 'root2', password: 'a very good password' })).statusCode, 403, 'used once');
  const login = await fresh.engine.http!.inject({
    method: 'POST',
    url: '/api/auth/login',
    payload: { username: 'root', password: 'a very good password' },
  });
  t.is(login.json().user.role, 'admin');
});
