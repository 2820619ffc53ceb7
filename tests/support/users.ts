import type { Role } from '../../engine/security/roles.ts';
import type { TestEngine } from './harness.ts';

export const TEST_PASSWORD = 'a long test password';

/** Creates a user through the admin API (as the harness's administrator). */
export async function createUser(
  sb: TestEngine,
  u: { username: string; role: Role; channels?: '*' | string[]; phi?: boolean },
): Promise<void> {
  const res = await sb.engine.http!.inject({
    method: 'POST',
    url: '/api/users',
    headers: sb.adminHeaders,
    payload: { username: u.username, password: TEST_PASSWORD, role: u.role, channels: u.channels ?? '*', phi: u.phi ?? false },
  });
  if (res.statusCode !== 201) throw new Error(`user ${u.username} not created: ${res.statusCode} ${res.body}`);
}

/** Signs in as the console does; the headers a later request needs (session cookie and CSRF token). */
export async function signIn(
  sb: TestEngine,
  username: string,
  password = TEST_PASSWORD,
): Promise<{ cookie: string; 'x-csrf-token': string }> {
  const res = await sb.engine.http!.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });
  if (res.statusCode !== 200) throw new Error(`sign-in of ${username} refused: ${res.statusCode}`);
  const cookie = String(res.headers['set-cookie']).split(';')[0]!;
  return { cookie, 'x-csrf-token': (res.json() as { csrfToken: string }).csrfToken };
}

/** Creates a user and signs them in. */
export async function userSession(
  sb: TestEngine,
  u: Parameters<typeof createUser>[1],
): Promise<{ cookie: string; 'x-csrf-token': string }> {
  await createUser(sb, u);
  return signIn(sb, u.username);
}

/** Signs in over real HTTP (an engine in another process); the headers a later request needs. */
export async function signInOverHttp(
  baseUrl: string,
  username: string,
  password: string,
): Promise<{ cookie: string; 'x-csrf-token': string }> {
  const res = await fetch(`${baseUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) throw new Error(`sign-in of ${username} refused: ${res.status}`);
  return { cookie: res.headers.get('set-cookie')!.split(';')[0]!, 'x-csrf-token': ((await res.json()) as { csrfToken: string }).csrfToken };
}
