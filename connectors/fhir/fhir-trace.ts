import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ReceiptTrace, SourceTracing } from '../../engine/connector.ts';
import type { Sourced } from './fhir-http.ts';

type Traced = FastifyRequest & { fhirTrace?: ReceiptTrace | null };

/**
 * One trace per FHIR write: a root span (SourceTracing.receive) opened for each POST or PUT to a
 * channel this process serves, once its credentials passed (the hook runs after authentication),
 * continuing the client's own trace when it sent `traceparent`; ended with the HTTP status when the
 * answer has gone. Intake's spans are its children (receiptOf, handed to intake). Reads and the
 * token endpoint are not traced.
 */
export function traceWrites(scope: FastifyInstance, tracing: SourceTracing): void {
  scope.decorateRequest('fhirTrace', null);
  scope.addHook('onRequest', async (request) => {
    const source = (request as Sourced).fhirSource;
    if (!source || (request.method !== 'POST' && request.method !== 'PUT') || (request.routeOptions.url ?? '').endsWith('/auth/token'))
      return;
    const { traceparent, tracestate } = request.headers;
    (request as Traced).fhirTrace = tracing.receive({ kind: 'fhir', channelId: source.channel.id, headers: { traceparent, tracestate } });
  });
  scope.addHook('onResponse', async (request, reply) => {
    (request as Traced).fhirTrace?.end({ httpStatus: reply.statusCode });
  });
}

/** The request's trace, for intake's options (`{ trace }`), or nothing when it has none. */
export function receiptOf(request: FastifyRequest): { trace?: ReceiptTrace } {
  const trace = (request as Traced).fhirTrace;
  return trace ? { trace } : {};
}
