import type { FastifyInstance } from 'fastify';

/**
 * Security headers on every answer (OWASP Secure Headers): a strict Content-Security-Policy for the
 * console (own origin only, no inline script, no framing), no MIME sniffing, no referrer, no
 * caching of API answers (they may hold PHI), and HSTS when serving HTTPS.
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

export function registerSecurityHeaders(app: FastifyInstance, o: { https: boolean }): void {
  app.addHook('onSend', async (request, reply) => {
    reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('cross-origin-opener-policy', 'same-origin');
    reply.header('cross-origin-resource-policy', 'same-origin');
    if (request.url.startsWith('/api/') || request.url.startsWith('/fhir/')) reply.header('cache-control', 'no-store');
    if (o.https) reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
  });
}
