import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { errorOutcome } from '../fhir/operation-outcome.ts';
import { SwitchboardError } from '../errors.ts';
import { problemOf, sendProblem } from './problem.ts';
import { securityHeaders } from './security-headers.ts';

/** What the caller is told of each refusal Fastify makes before routing: never the URL it could not read. */
const ROUTING_DETAIL: Record<string, string> = {
  FST_ERR_BAD_URL: 'the URL does not decode',
  FST_ERR_MAX_PARAM_LENGTH: 'a path parameter is too long',
};

/**
 * Fastify's `frameworkErrors` option: a URL that does not decode (`/api/%ff`) or a parameter too
 * long, refused before routing and before any hook. Answered with the security headers as a
 * BAD_REQUEST problem, or an OperationOutcome under /fhir/ (the FHIR edge's format), never echoing
 * the URL. Anything else Fastify reports here (an async constraint failing) is a 500 INTERNAL.
 */
export function frameworkErrors(o: { https: boolean }) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    reply.headers(securityHeaders({ https: o.https, noStore: true }));
    const detail = ROUTING_DETAIL[error.code];
    if (request.url.startsWith('/fhir/')) {
      return reply
        .code(detail ? 400 : 500)
        .type('application/fhir+json')
        .send(errorOutcome(detail ? 'invalid' : 'exception', detail ?? 'Internal error'));
    }
    return detail ? sendProblem(reply, new SwitchboardError('BAD_REQUEST'), detail) : sendProblem(reply, new SwitchboardError('INTERNAL'));
  };
}

const PARSER_REFUSALS: Record<string, { status: number; reason: string; detail: string }> = {
  HPE_HEADER_OVERFLOW: { status: 431, reason: 'Request Header Fields Too Large', detail: 'the request headers are over 16 KiB' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, reason: 'Request Timeout', detail: 'the request took too long to arrive' },
};

/**
 * Fastify's `clientErrorHandler`: Node's HTTP parser refused the bytes (headers over 16 KiB, a
 * request line or header that is not HTTP, a request too slow), so there is no request, no route
 * and no hook. Writes the same problem and security headers as any other answer straight to the
 * socket, then closes it. Nothing is written to a socket already reset or closed.
 */
export function clientErrorHandler(o: { https: boolean }) {
  return (err: NodeJS.ErrnoException, socket: Socket) => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const refusal = PARSER_REFUSALS[err.code ?? ''] ?? { status: 400, reason: 'Bad Request', detail: 'the request is not valid HTTP' };
    const body = JSON.stringify(problemOf(new SwitchboardError('BAD_REQUEST'), refusal.detail, refusal.status));
    const headers = {
      ...securityHeaders({ https: o.https, noStore: true }),
      'content-type': 'application/problem+json; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
      connection: 'close',
    };
    const head = [`HTTP/1.1 ${refusal.status} ${refusal.reason}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)].join('\r\n');
    if (socket.writable) socket.end(`${head}\r\n\r\n${body}`);
    else socket.destroy();
  };
}
