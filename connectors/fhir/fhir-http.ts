import type { FastifyReply, FastifyRequest } from 'fastify';
import type { BundleEntry } from '@medplum/fhirtypes';
import type { FhirReceipt } from '../../engine/connector.ts';
import { errorOutcome, issue, outcome } from '../../engine/fhir/operation-outcome.ts';
import type { FhirSource } from './fhir-sources.ts';
import type { FhirValidatorPool, PoolVerdict } from './fhir.validator-pool.ts';
import { shapeIssues } from './fhir.validator.ts';

/** What the FHIR routes answer with, and what they take besides `application/json`. */
export const FHIR_JSON = 'application/fhir+json';

/**
 * A request for a served channel, and, once its credentials were checked, the scopes its token
 * grants; once its body was read, the body's JSON text (what the validation workers parse).
 */
export type Sourced = FastifyRequest & { fhirSource?: FhirSource; grantedScopes?: string[]; fhirText?: string | null };
/** The channel of a request that passed the onRequest hook (which answers every other request). */
export const sourceOf = (request: FastifyRequest): FhirSource => (request as Sourced).fhirSource!;

/** The client's de-duplication key: If-None-Exist (conditional create) or X-Request-Id. */
export function requestKey(request: FastifyRequest): string | undefined {
  const h = request.headers['if-none-exist'] ?? request.headers['x-request-id'];
  return typeof h === 'string' && h !== '' ? `req:${h}` : undefined;
}

/** A receipt as a Bundle entry's response (batch and transaction responses, and single answers). */
export function entryResponse(r: FhirReceipt): NonNullable<BundleEntry['response']> {
  switch (r.kind) {
    case 'accepted':
      return { status: '201 Created', location: `/api/messages/${r.messageId}` };
    case 'duplicate':
      return { status: '200 OK', location: `/api/messages/${r.messageId}` };
    case 'unprocessable':
      return { status: '422 Unprocessable Entity', outcome: errorOutcome('business-rule', r.detail) };
    case 'unavailable':
      return { status: '503 Service Unavailable', outcome: errorOutcome('transient', 'The message store is unavailable; retry') };
    default:
      return r satisfies never;
  }
}

/** The answer to a single create or update: an OperationOutcome, with Location when stored. */
export function answer(reply: FastifyReply, r: FhirReceipt): FastifyReply {
  const response = entryResponse(r);
  const status = Number(response.status.slice(0, 3));
  if (r.kind === 'accepted' || r.kind === 'duplicate') {
    const text = r.kind === 'accepted' ? `Stored as message ${r.messageId}` : `Already received as message ${r.messageId}`;
    return send(reply, status, outcome([issue('information', 'informational', text)]), {
      location: response.location!,
      'x-switchboard-message-id': r.messageId,
    });
  }
  return send(reply, status, response.outcome!);
}

export function send(reply: FastifyReply, status: number, body: unknown, headers: Record<string, string> = {}): FastifyReply {
  return reply.code(status).headers(headers).type(FHIR_JSON).send(body);
}

/**
 * The FHIR R4 validation of the request's body: the shape checks on the event loop, then the
 * definitions in a worker thread of `validator`, which gets the body's text as received.
 */
export async function validated(request: FastifyRequest, validator: FhirValidatorPool): Promise<PoolVerdict> {
  const shape = shapeIssues(request.body);
  if (shape.length > 0) return { kind: 'validated', issues: shape };
  return validator.validate((request as Sourced).fhirText ?? JSON.stringify(request.body));
}

/** The answer while every validation thread is taken and the queue is full: retry shortly. */
export const busy = (reply: FastifyReply): FastifyReply =>
  send(reply, 503, errorOutcome('transient', 'The server is busy validating other requests; retry later'), { 'retry-after': '5' });
