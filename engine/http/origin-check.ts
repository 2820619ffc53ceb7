import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SwitchboardError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { sendProblem } from './problem.ts';

const CHANGES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The origin of a URL, or undefined when it is not one (`null`, a relative or broken Referer). */
function originOf(url: string): string | undefined {
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}

/**
 * The origins the console is served from: `CONSOLE_ORIGIN` when configured (behind a proxy, or
 * under another name), else the request's own, the scheme this server speaks and the Host header.
 * A browser sets Host to the server it talks to, so a page elsewhere cannot make its Origin match.
 */
function consoleOrigins(request: FastifyRequest, o: { https: boolean; configured: readonly string[] }): readonly string[] {
  if (o.configured.length > 0) return o.configured;
  const own = request.headers.host ? originOf(`${o.https ? 'https' : 'http'}://${request.headers.host}`) : undefined;
  return own ? [own] : [];
}

/**
 * Refuses a change to the admin API from a page of another origin, in `onRequest` before
 * authentication and before the body is read: POST, PUT, PATCH or DELETE under /api whose `Origin`,
 * or when there is none its `Referer`, is not the console's gets 403 FORBIDDEN as a problem (and a
 * warning naming the route, not the origin). A request with neither header (the CLI, curl, scripts
 * with an API token) goes through: browsers send Origin with every such request. Defence in depth
 * beside the SameSite cookie and the CSRF token; it also refuses sign-in from another site (login
 * CSRF). /fhir/ is not checked: its clients are servers with bearer tokens, never a cookie, and a
 * page elsewhere cannot add an Authorization header without a CORS preflight this server never grants.
 */
export function registerOriginCheck(app: FastifyInstance, o: { https: boolean; consoleOrigin?: string; log: Logger }): void {
  const configured = (o.consoleOrigin ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => originOf(s) ?? s);
  app.addHook('onRequest', async (request, reply) => {
    if (!CHANGES.has(request.method) || !request.url.startsWith('/api')) return;
    const { origin, referer } = request.headers;
    const claimed = origin ?? referer;
    if (claimed === undefined) return;
    const from = originOf(claimed);
    if (from !== undefined && consoleOrigins(request, { https: o.https, configured }).includes(from)) return;
    o.log.warn('cross-origin change refused', {
      method: request.method,
      route: request.routeOptions.url ?? 'unknown',
      by: origin !== undefined ? 'Origin' : 'Referer',
    });
    return sendProblem(
      reply,
      new SwitchboardError('FORBIDDEN'),
      `refused: the ${origin !== undefined ? 'Origin' : 'Referer'} is not the console's ` +
        `(set CONSOLE_ORIGIN when the console is reached under another address)`,
    );
  });
}
