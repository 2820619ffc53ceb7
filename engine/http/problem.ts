import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { SwitchboardError, toSwitchboardError } from '../errors.ts';
import type { Logger } from '../log.ts';

/** RFC 9457 problem details: the admin API's one error format. Never a stack trace or internal text. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  code: string;
}

const CALLER_FACING = new Set<string>(['BAD_REQUEST', 'NOT_FOUND', 'CONFLICT', 'CONFIG_INVALID', 'FORBIDDEN']);

/** The problem document of `err`, with the catalog's status; `status` overrides it for an HTTP-level refusal (415, 431, …). */
export function problemOf(err: SwitchboardError, detail?: string, status?: number): Problem {
  return {
    type: `https://switchboard.dev/problems/${err.code.toLowerCase().replaceAll('_', '-')}`,
    title: err.publicText,
    status: status ?? err.httpStatus,
    code: err.code,
    ...(detail ? { detail } : {}),
  };
}

export function sendProblem(reply: FastifyReply, err: SwitchboardError, detail?: string, status?: number): FastifyReply {
  const problem = problemOf(err, detail, status);
  return reply.code(problem.status).type('application/problem+json').send(problem);
}

/** What a caller is told about a request Fastify refused before any route ran: never what was sent, nor the code. */
const FRAMEWORK_DETAIL: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'the body is not valid JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'the body is empty but its content type is JSON',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'this content type is not accepted here (the admin API takes application/json)',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'Content-Length does not match the body',
  FST_ERR_CTP_INVALID_TYPE: 'the Content-Type header is not valid',
  FST_ERR_CTP_EMPTY_TYPE: 'the Content-Type header is empty',
};

/**
 * Fastify error handler: validation errors become 400 problems naming the field; Fastify's own
 * refusals (a body that is not JSON, a content type no route takes) keep their HTTP status as
 * BAD_REQUEST problems with a plain detail, never Fastify's message or code; the rest are classified.
 */
export function problemErrorHandler(log: Logger) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (error.validation) {
      return sendProblem(reply, new SwitchboardError('BAD_REQUEST'), error.message);
    }
    if (error.statusCode === 413) return sendProblem(reply, new SwitchboardError('PAYLOAD_TOO_LARGE'));
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      return sendProblem(
        reply,
        new SwitchboardError('BAD_REQUEST'),
        FRAMEWORK_DETAIL[error.code] ?? 'the request is not valid',
        error.statusCode,
      );
    }
    const e = toSwitchboardError(error);
    // A refusal the caller can act on carries its detail (details name fields and ids, never content).
    if (CALLER_FACING.has(e.code)) return sendProblem(reply, e, e.message);
    log.error('admin API request failed', { route: request.routeOptions.url, code: e.code });
    return sendProblem(reply, e);
  };
}

/**
 * 422 (or `status`) CONFIG_INVALID for a definition that is not valid (a channel, a mapping), its
 * type `<kind>-invalid`, listing every problem with its path (and, for expressions, line and column).
 */
export function sendInvalid(
  reply: FastifyReply,
  o: { kind: 'channel' | 'mapping'; title: string; problems: readonly { path: string; message: string }[] },
): FastifyReply {
  return reply
    .code(422)
    .type('application/problem+json')
    .send({
      type: `https://switchboard.dev/problems/${o.kind}-invalid`,
      title: o.title,
      status: 422,
      code: 'CONFIG_INVALID',
      problems: o.problems,
    });
}
