import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema } from 'fastify';
import { AuditAction, type AuditLog } from '../audit/audit-log.ts';
import { SwitchboardError } from '../errors.ts';
import type { AuthService } from '../security/auth-service.ts';
import { Access, hasPermission, type Principal } from '../security/roles.ts';
import { sendProblem } from './problem.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call this route: `public`, `authenticated`, or one permission. Required under /api. */
    access?: Access;
  }
  interface FastifyRequest {
    /** Set by the access hook on every non-public admin route. */
    principal?: Principal;
  }
  interface FastifySchema {
    /** One line for the OpenAPI document and the docs page (openapi.ts); every admin route has one. */
    summary?: string;
    /** More about the route for the OpenAPI document: status codes, limits, what is audited. */
    description?: string;
  }
}

export const SESSION_COOKIE = 'sb_session';
export const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The session token from the Cookie header (no cookie library: one name, read only). */
export function sessionCookie(request: FastifyRequest): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === SESSION_COOKIE) return value.join('=') || undefined;
  }
  return undefined;
}

const sameSecret = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** The requester's address for the audit log (the socket's; no proxy headers are trusted). */
export const sourceIp = (request: FastifyRequest) => request.ip;

/** The admin surface: the API under /api, and the Prometheus exposition at /metrics. */
export const isAdminUrl = (url: string): boolean => url.startsWith('/api') || url === '/metrics';

/**
 * Authentication and authorisation for the admin API, in `onRequest`: before the body is read or
 * parsed, so an anonymous sender cannot make the server parse anything.
 * - Every admin route (under /api, and /metrics) must declare `config.access`; registering one
 *   without it throws, so a new route cannot be left open by mistake. Each is recorded with its
 *   schema for the authorisation matrix test and the OpenAPI document (listAdminRoutes).
 * - Credentials: the `sb_session` cookie (console; unsafe methods also need the session's CSRF token
 *   in `X-CSRF-Token`), or `Authorization: Bearer sbt_…` (API token; no cookie, so no CSRF).
 * - 401 AUTH_REQUIRED without valid credentials; 403 FORBIDDEN without the permission, audited.
 */
export function registerAccessControl(app: FastifyInstance, o: { auth: AuthService; audit: AuditLog }): void {
  const routes: AdminRoute[] = [];
  declared.set(app, routes);
  app.addHook('onRoute', (route) => {
    if (!isAdminUrl(route.url)) return;
    const access = route.config?.access;
    if (!access) throw new SwitchboardError('INTERNAL', `route ${String(route.method)} ${route.url} declares no access`);
    for (const method of [route.method].flat())
      if (method !== 'HEAD') routes.push({ method, url: route.url, access, schema: route.schema ?? {} });
  });

  const deny = async (request: FastifyRequest, reply: FastifyReply, principal: Principal, why: string) => {
    await o.audit.append({
      actor: principal.username,
      action: AuditAction.denied,
      outcome: 'denied',
      target: `${request.method} ${request.routeOptions.url}`,
      details: { why },
      sourceIp: sourceIp(request),
    });
    return sendProblem(reply, new SwitchboardError('FORBIDDEN'), why);
  };

  app.addHook('onRequest', async (request, reply) => {
    const access = request.routeOptions.config?.access;
    if (!access || access === Access.public) return;
    const authorization = request.headers.authorization;
    let principal: Principal | undefined;
    if (authorization?.startsWith('Bearer sbt_')) {
      principal = await o.auth.fromApiToken(authorization.slice('Bearer '.length));
    } else {
      const cookie = sessionCookie(request);
      const session = cookie ? await o.auth.fromSession(cookie) : undefined;
      if (session && !SAFE_METHODS.has(request.method)) {
        const given = request.headers[CSRF_HEADER];
        if (typeof given !== 'string' || !sameSecret(given, session.csrfToken))
          return deny(request, reply, session.principal, 'missing or wrong CSRF token');
      }
      principal = session?.principal;
    }
    if (!principal) return sendProblem(reply, new SwitchboardError('AUTH_REQUIRED'), 'sign in, or send an API token');
    request.principal = principal;
    if (access === Access.authenticated || hasPermission(principal, access)) return;
    return deny(request, reply, principal, `needs ${access}`);
  });
}

export interface AdminRoute {
  method: string;
  url: string;
  access: Access;
  /** The route's schema as declared (TypeBox querystring, params, body; summary, description). */
  schema: FastifySchema;
}

const declared = new WeakMap<FastifyInstance, AdminRoute[]>();

/** Every admin route with the access and schema it declared (the matrix test and the OpenAPI document read it). */
export function listAdminRoutes(app: FastifyInstance): readonly AdminRoute[] {
  return declared.get(app) ?? [];
}

/** The signed-in user of a route that declared a permission (the hook guarantees it). */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new SwitchboardError('AUTH_REQUIRED');
  return request.principal;
}

/** Who acts, for the audit entry of a change a route makes: the signed-in user's name and the request's address. */
export const actorOf = (request: FastifyRequest): { username: string; sourceIp: string } => ({
  username: principalOf(request).username,
  sourceIp: sourceIp(request),
});
