import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCatalog, SwitchboardError, toSwitchboardError } from '../errors.ts';
import type { Logger } from '../log.ts';

/** RFC 9457 problem details: the admin API's one error format. Never a stack trace or internal text. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  code: string;
}

const STATUS: Partial<Record<keyof typeof ErrorCatalog, number>> = {
  NOT_FOUND: 404,
  BAD_REQUEST: 400,
  CONFLICT: 409,
  AUTH_REQUIRED: 401,
  FORBIDDEN: 403,
  TOO_MANY_REQUESTS: 429,
  PAYLOAD_TOO_LARGE: 413,
  CONFIG_INVALID: 400,
  STORE_UNAVAILABLE: 503,
  QUEUE_UNAVAILABLE: 503,
};

const CALLER_FACING = new Set<string>(['BAD_REQUEST', 'NOT_FOUND', 'CONFLICT', 'CONFIG_INVALID', 'FORBIDDEN']);

export function sendProblem(reply: FastifyReply, err: SwitchboardError, detail?: string): FastifyReply {
  const status = STATUS[err.code] ?? 500;
  const problem: Problem = {
    type: `https://switchboard.dev/problems/${err.code.toLowerCase().replaceAll('_', '-')}`,
    title: err.publicText,
    status,
    code: err.code,
    ...(detail ? { detail } : {}),
  };
  return reply.code(status).type('application/problem+json').send(problem);
}

/** Fastify error handler: validation errors become 400 problems naming the field; the rest are classified. */
export function problemErrorHandler(log: Logger) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (error.validation) {
      return sendProblem(reply, new SwitchboardError('BAD_REQUEST'), error.message);
    }
    if (error.statusCode === 413) return sendProblem(reply, new SwitchboardError('PAYLOAD_TOO_LARGE'));
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      return sendProblem(reply, new SwitchboardError('BAD_REQUEST'), error.code);
    }
    const e = toSwitchboardError(error);
    // A refusal the caller can act on carries its detail (details name fields and ids, never content).
    if (CALLER_FACING.has(e.code)) return sendProblem(reply, e, e.message);
    log.error('admin API request failed', { route: request.routeOptions.url, code: e.code });
    return sendProblem(reply, e);
  };
}
