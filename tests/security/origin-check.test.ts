/**
 * Issue 20, finding 12: the admin API did not check Origin. A change (POST, PUT, PATCH, DELETE under
 * /api) whose Origin, or else Referer, names another origin than the console's is refused with a 403
 * problem before anything else runs, as defence in depth beside the CSRF token and the SameSite
 * cookie; sign-in included (login CSRF). A request with neither header (the CLI, curl, scripts with
 * an API token) is let through. The console's origin is the request's own (the scheme the server
 * speaks and the Host header), or the configured CONSOLE_ORIGIN.
 */
import test, { type ExecutionContext } from 'ava';
import { startTestEngine, testChannel, TEST_ADMIN, type TestEngine } from '../support/harness.ts';
import { signIn } from '../support/users.ts';

const HOST = '127.0.0.1:8080';
const OWN = `http://${HOST}`;

async function engine(t: ExecutionContext, security: Record<string, string> = {}): Promise<TestEngine> {
  const sb = await startTestEngine({ channels: [testChannel({ erpUrl: 'http://127.0.0.1:9' })], security });
  t.teardown(() => sb.close());
  return sb;
}

const tokenCount = async (sb: TestEngine) => (await sb.engine.auth!.listApiTokens(TEST_ADMIN.username)).length;

test(
  'a change from another origin is refused (403 problem) however it is signed; one from the console or ' +
    'with no Origin or Referer goes through',
  async (t) => {
    const sb = await engine(t);
    const session = await signIn(sb, TEST_ADMIN.username, TEST_ADMIN.password);
    const createToken = (headers: Record<string, string>) =>
      sb.engine.http!.inject({ method: 'POST', url: '/api/tokens', headers: { host: HOST, ...headers }, payload: { name: 'x' } });
    const before = await tokenCount(sb);

    const refused: [string, Record<string, string>][] = [
      ['another Origin, console session', { ...session, origin: 'https://evil.example' }],
      ['another Origin, API token', { ...sb.adminHeaders, origin: 'https://evil.example' }],
      ['Origin null (a sandboxed frame, a redirect)', { ...session, origin: 'null' }],
      ['the same host on another port', { ...session, origin: 'http://127.0.0.1:8081' }],
      ['the same host over another scheme', { ...session, origin: 'https://127.0.0.1:8080' }],
      ['no Origin, another Referer', { ...session, referer: 'https://evil.example/page?x=1' }],
      ['no Origin, a Referer that is not a URL', { ...session, referer: 'not a url' }],
    ];
    for (const [name, headers] of refused) {
      const res = await createToken(headers);
      t.is(res.statusCode, 403, name);
      t.is(res.headers['content-type'], 'application/problem+json; charset=utf-8', name);
      t.like(res.json(), { status: 403, code: 'FORBIDDEN' }, name);
      t.false(res.body.includes('evil.example'), `${name}: the answer does not echo the origin`);
    }
    t.is(await tokenCount(sb), before, 'no refused request made a token');

    const login = await sb.engine.http!.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { host: HOST, origin: 'https://evil.example' },
      payload: { username: TEST_ADMIN.username, password: TEST_ADMIN.password },
    });
    t.is(login.statusCode, 403, 'sign-in from another origin (login CSRF) is refused');
    t.is(login.headers['set-cookie'], undefined);

    for (const method of ['PUT', 'PATCH', 'DELETE'] as const) {
      const res = await sb.engine.http!.inject({
        method,
        url: '/api/users/nobody',
        headers: { host: HOST, ...sb.adminHeaders, origin: 'https://evil.example' },
        payload: {},
      });
      t.is(res.statusCode, 403, method);
    }

    t.is((await createToken({ ...session, origin: OWN })).statusCode, 201, 'the console itself');
    t.is((await createToken({ ...session, referer: `${OWN}/channels` })).statusCode, 201, 'a Referer of the console');
    t.is((await createToken(sb.adminHeaders)).statusCode, 201, 'a script: neither header');
    t.is(
      (
        await sb.engine.http!.inject({
          method: 'GET',
          url: '/api/tokens',
          headers: { host: HOST, ...sb.adminHeaders, origin: 'https://evil.example' },
        })
      ).statusCode,
      200,
      'reads are not changes',
    );
  },
);

test('with CONSOLE_ORIGIN set, that origin is the console, whatever the Host header says (a proxy in front)', async (t) => {
  const sb = await engine(t, { CONSOLE_ORIGIN: 'https://switchboard.example.org' });
  const post = (origin: string) =>
    sb.engine.http!.inject({
      method: 'POST',
      url: '/api/tokens',
      headers: { host: HOST, ...sb.adminHeaders, origin },
      payload: { name: 'x' },
    });
  t.is((await post('https://switchboard.example.org')).statusCode, 201);
  t.is((await post(OWN)).statusCode, 403, 'the Host header is no longer trusted for the origin');
});
