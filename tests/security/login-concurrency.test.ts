/**
 * Issue 20, finding 1: sign-in attempts sent all at once bypassed the lockout and the per-address
 * throttle. 40 wrong passwords and the right one in parallel from one address: all 401, no 429,
 * the right one 200, and the account ended with failedLogins 0 (the count was written from a stale
 * read, and the throttle counted a failure only after the password check). Each attempt is now
 * counted atomically before its password is checked: 5 failures lock the account and 10 from one
 * address are throttled (429), however concurrent.
 */
import test, { type ExecutionContext } from 'ava';
import { startTestEngine, testChannel, type TestEngine } from '../support/harness.ts';
import { createUser, TEST_PASSWORD } from '../support/users.ts';

const WRONG = 'not the password at all';

async function engine(t: ExecutionContext): Promise<TestEngine> {
  const sb = await startTestEngine({ channels: [testChannel({ erpUrl: 'http://127.0.0.1:9' })] });
  t.teardown(() => sb.close());
  return sb;
}

/** 40 wrong passwords, then the right one, all in flight at once; each from `address(i)`. */
async function attack(sb: TestEngine, username: string, address: (i: number) => string) {
  const login = (password: string, i: number) =>
    sb.engine.http!.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: address(i), payload: { username, password } });
  const wrong = Array.from({ length: 40 }, (_, i) => login(WRONG, i));
  await new Promise((r) => setImmediate(r));
  const right = login(TEST_PASSWORD, 40);
  return { wrong: await Promise.all(wrong), right: await right };
}

const lockState = async (sb: TestEngine, username: string) => (await sb.engine.auth!.users.findOne({ _id: username }))!;

test('40 wrong passwords and the right one at once from one address: throttled at 10, locked at 5, the right one refused', async (t) => {
  const sb = await engine(t);
  await createUser(sb, { username: 'pat.target', role: 'viewer' });
  const { wrong, right } = await attack(sb, 'pat.target', () => '198.51.100.7');

  const statuses = wrong.map((r) => r.statusCode);
  t.is(statuses.filter((s) => s === 401).length, 10, 'only 10 attempts from one address are answered at all');
  t.is(statuses.filter((s) => s === 429).length, 30, 'the rest are throttled');
  t.not(right.statusCode, 200, 'the right password does not sign in');
  t.is(right.statusCode, 429);
  t.is(right.headers['content-type'], 'application/problem+json; charset=utf-8');
  const user = await lockState(sb, 'pat.target');
  t.true(user.failedLogins >= 5, `failedLogins ${user.failedLogins}`);
  t.true(user.lockedUntil !== undefined && user.lockedUntil > new Date(), 'the account is locked');
  const later = await sb.engine.http!.inject({
    method: 'POST',
    url: '/api/auth/login',
    remoteAddress: '203.0.113.9',
    payload: { username: 'pat.target', password: TEST_PASSWORD },
  });
  t.is(later.statusCode, 401, 'locked: the right password from another address is refused too');
});

test(
  '40 wrong passwords and the right one at once from 41 addresses: at most 5 passwords checked, the ' +
    'account locked, the right one refused',
  async (t) => {
    const sb = await engine(t);
    await createUser(sb, { username: 'pat.spread', role: 'viewer' });
    const { wrong, right } = await attack(sb, 'pat.spread', (i) => `198.51.100.${i + 10}`);

    t.true(
      wrong.every((r) => r.statusCode === 401),
      'one answer for wrong and locked alike',
    );
    t.is(right.statusCode, 401, 'the right password does not sign in once 5 failures are counted');
    const user = await lockState(sb, 'pat.spread');
    t.true(user.failedLogins >= 5, `failedLogins ${user.failedLogins}`);
    t.true(user.lockedUntil !== undefined && user.lockedUntil > new Date(), 'the account is locked');
    const audit = await sb.engine.http!.inject({
      method: 'GET',
      url: '/api/audit?action=auth.login-failed&actor=pat.spread&limit=1000',
      headers: sb.adminHeaders,
    });
    const reasons = (audit.json().items as { details: { reason: string } }[]).map((e) => e.details.reason);
    t.is(reasons.length, 41);
    t.true(
      reasons.filter((r) => r.startsWith('wrong password')).length <= 5,
      `passwords checked: ${reasons.filter((r) => r.startsWith('wrong password')).length}`,
    );
  },
);

test('unknown names count against the address too; successful sign-ins do not', async (t) => {
  const sb = await engine(t);
  await createUser(sb, { username: 'pat.regular', role: 'viewer' });
  const ok = [];
  for (let i = 0; i < 12; i++)
    ok.push(
      (
        await sb.engine.http!.inject({
          method: 'POST',
          url: '/api/auth/login',
          remoteAddress: '192.0.2.44',
          payload: { username: 'pat.regular', password: TEST_PASSWORD },
        })
      ).statusCode,
    );
  t.deepEqual(ok, Array(12).fill(200), 'twelve sign-ins a minute from one address are not throttled');

  const probes = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      sb.engine.http!.inject({
        method: 'POST',
        url: '/api/auth/login',
        remoteAddress: '192.0.2.45',
        payload: { username: `nobody${i}`, password: WRONG },
      }),
    ),
  );
  const statuses = probes.map((r) => r.statusCode);
  t.is(statuses.filter((s) => s === 401).length, 10);
  t.is(statuses.filter((s) => s === 429).length, 10);
});
