import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { AuditAction, type AuditLog } from '../audit/audit-log.ts';
import type { SecurityConfig } from '../config/security-config.ts';
import { SwitchboardError } from '../errors.ts';
import type { AuthService } from '../security/auth-service.ts';
import { rolePermissions } from '../security/roles.ts';
import type { LoginThrottle } from './login-throttle.ts';
import { principalOf, SESSION_COOKIE, sessionCookie, sourceIp } from './access.ts';
import { sendProblem } from './problem.ts';

const Username = Type.String({ pattern: '^[A-Za-z0-9._@-]{1,64}$' });
const LoginBody = Type.Object(
  { username: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 256 }) },
  { additionalProperties: false },
);
const SetupBody = Type.Object(
  {
    setupToken: Type.String({ minLength: 10, maxLength: 200 }),
    username: Username,
    password: Type.String({ minLength: 1, maxLength: 256 }),
  },
  { additionalProperties: false },
);
const TokenBody = Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false });

/** Failed sign-ins per address per minute (counted before the check, see LoginThrottle); past it, 429 before any password is checked. */
export const ATTEMPTS_PER_MINUTE = 10;
/** Small bodies only on the public routes: they are parsed before anyone is known. */
const PUBLIC_BODY_LIMIT = 4096;

/**
 * Sign-in and the caller's own credentials:
 * - `POST /api/auth/login` (public): sets the httpOnly, Secure, SameSite=Strict session cookie and
 *   returns the CSRF token the console sends back in `X-CSRF-Token`. 401 for any wrong name,
 *   password or locked account alike; 429 after ATTEMPTS_PER_MINUTE failures from one address,
 *   however concurrent (`throttle` counts each attempt before its password is checked).
 * - `POST /api/auth/setup` (public): redeems the one-time setup token printed at first start.
 * - `POST /api/auth/logout`, `GET /api/auth/me`: the caller's session and permissions.
 * - `GET|POST /api/tokens`, `DELETE /api/tokens/:id`: the caller's API tokens; a new token is
 *   shown once in the answer and stored only as its hash.
 */
export const authRoutes: FastifyPluginAsync<Deps> = async (app, deps) => {
  signInRoutes(app, deps);
  sessionRoutes(app, deps);
  tokenRoutes(app, deps);
};

type Deps = { auth: AuthService; audit: AuditLog; config: SecurityConfig; throttle: LoginThrottle };

const cookie = (value: string, maxAgeSeconds: number) =>
  `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=${maxAgeSeconds}`;

/** `POST /api/auth/login` and `POST /api/auth/setup`: public, throttled per address. */
function signInRoutes(app: FastifyInstance, { auth, config, throttle }: Deps): void {
  app.post<{ Body: Static<typeof LoginBody> }>(
    '/api/auth/login',
    {
      config: { access: 'public' },
      bodyLimit: PUBLIC_BODY_LIMIT,
      schema: {
        summary: 'Sign in',
        description:
          'Sets the session cookie and returns the user, their permissions and the CSRF token for X-CSRF-Token. 401 for any wrong name ' +
          'or password or a locked account alike; 429 after 10 failures a minute from one address. Body at most 4 KiB.',
        body: LoginBody,
      },
    },
    async (request, reply) => {
      if (!(await throttle.attempt(request.ip)))
        return sendProblem(
          reply.header('retry-after', '60'),
          new SwitchboardError('TOO_MANY_REQUESTS'),
          'too many sign-in attempts from this address',
        );
      const result = await auth.login({ ...request.body, sourceIp: sourceIp(request) });
      if (!result)
        return sendProblem(reply, new SwitchboardError('AUTH_REQUIRED'), 'wrong user name or password, or the account is locked');
      await throttle.release(request.ip);
      reply.header('set-cookie', cookie(result.sessionToken, config.SESSION_MAX_HOURS * 3600));
      return { user: result.user, csrfToken: result.csrfToken, permissions: rolePermissions[result.user.role] };
    },
  );

  app.post<{ Body: Static<typeof SetupBody> }>(
    '/api/auth/setup',
    {
      config: { access: 'public' },
      bodyLimit: PUBLIC_BODY_LIMIT,
      schema: {
        summary: 'Create the first administrator',
        description:
          'Redeems the one-time setup token printed at first start (when no administrator password was configured). 201 with the new ' +
          'user; 403 when the token is wrong or used, or an administrator exists.',
        body: SetupBody,
      },
    },
    async (request, reply) => {
      if (!(await throttle.attempt(request.ip)))
        return sendProblem(reply.header('retry-after', '60'), new SwitchboardError('TOO_MANY_REQUESTS'));
      const created = await auth.setup({ ...request.body, sourceIp: sourceIp(request) });
      if (!created)
        return sendProblem(reply, new SwitchboardError('FORBIDDEN'), 'the setup token is wrong, used, or an administrator exists');
      await throttle.release(request.ip);
      return reply.code(201).send({ username: request.body.username, role: 'admin' });
    },
  );
}

/** `POST /api/auth/logout` and `GET /api/auth/me`: the caller's session. */
function sessionRoutes(app: FastifyInstance, { auth, audit }: Deps): void {
  app.post(
    '/api/auth/logout',
    {
      config: { access: 'authenticated' },
      schema: { summary: 'Sign out', description: '204; ends the session of the cookie sent and clears it. Audited.' },
    },
    async (request, reply) => {
      const session = sessionCookie(request);
      if (session) await auth.logout(session);
      await audit.append({
        actor: principalOf(request).username,
        action: AuditAction.logout,
        outcome: 'success',
        sourceIp: sourceIp(request),
      });
      return reply.header('set-cookie', cookie('', 0)).code(204).send();
    },
  );

  app.get(
    '/api/auth/me',
    {
      config: { access: 'authenticated' },
      schema: { summary: 'The caller', description: 'User name, role, channel scope, PHI permission and the permissions of the role.' },
    },
    async (request) => {
      const p = principalOf(request);
      return { username: p.username, role: p.role, channels: p.channels, phi: p.phi, permissions: rolePermissions[p.role] };
    },
  );
}

/** `GET|POST /api/tokens` and `DELETE /api/tokens/:id`: the caller's API tokens. */
function tokenRoutes(app: FastifyInstance, { auth, audit }: Deps): void {
  app.get(
    '/api/tokens',
    {
      config: { access: 'authenticated' },
      schema: { summary: 'The caller’s API tokens', description: 'Id, name and creation time of each; never the token itself.' },
    },
    async (request) => ({ items: await auth.listApiTokens(principalOf(request).username) }),
  );

  app.post<{ Body: Static<typeof TokenBody> }>(
    '/api/tokens',
    {
      config: { access: 'authenticated' },
      schema: {
        summary: 'Create an API token',
        description:
          '201 with the token, shown this once (it is stored only as its SHA-256). The token acts as the caller, with their role and ' +
          'scope. Audited.',
        body: TokenBody,
      },
    },
    async (request, reply) => {
      const p = principalOf(request);
      return reply
        .code(201)
        .send(await auth.issueApiToken({ username: p.username, name: request.body.name, actor: p.username, sourceIp: sourceIp(request) }));
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/tokens/:id',
    {
      config: { access: 'authenticated' },
      schema: { summary: 'Revoke an API token', description: '204; 404 when the caller has no token with that id. Audited.' },
    },
    async (request, reply) => {
      const p = principalOf(request);
      if (!(await auth.revokeApiToken(p.username, request.params.id)))
        return sendProblem(reply, new SwitchboardError('NOT_FOUND'), 'no such token of yours');
      await audit.append({
        actor: p.username,
        action: AuditAction.tokenRevoke,
        outcome: 'success',
        target: `token:${request.params.id}`,
        sourceIp: sourceIp(request),
      });
      return reply.code(204).send();
    },
  );
}
