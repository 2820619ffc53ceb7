import type { FastifyInstance } from 'fastify';

/**
 * Security headers on every answer (OWASP Secure Headers): a strict Content-Security-Policy for the
 * console (own origin only, no inline script, no framing), no MIME sniffing, no referrer, no
 * caching of API answers (they may hold PHI) nor of errors, and HSTS when serving HTTPS. On every
 * answer, framework and parser errors included (framework-errors.ts).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The headers every answer carries. `noStore` for the API and FHIR answers (they may hold PHI) and
 * every error; HSTS when serving HTTPS. Also written by the parser-level error answer
 * (framework-errors.ts), which no hook sees.
 */
export function securityHeaders(o: { https: boolean; noStore: boolean }): Record<string, string> {
  return {
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    ...(o.noStore ? { 'cache-control': 'no-store' } : {}),
    ...(o.https ? { 'strict-transport-security': 'max-age=31536000; includeSubDomains' } : {}),
  };
}

/** Whether an answer to `url` with `status` must not be cached. */
export const noStore = (url: string, status: number): boolean => status >= 400 || url.startsWith('/api/') || url.startsWith('/fhir/');

export function registerSecurityHeaders(app: FastifyInstance, o: { https: boolean }): void {
  app.addHook('onSend', async (request, reply) => {
    reply.headers(securityHeaders({ https: o.https, noStore: noStore(request.url, reply.statusCode) }));
  });
}
