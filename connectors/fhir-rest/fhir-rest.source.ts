import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Bundle, BundleEntry, CapabilityStatement, CapabilityStatementRestResource, OperationOutcomeIssue } from '@medplum/fhirtypes';
import type { ChannelDefinition, FhirSourceSpec } from '../../engine/channel.ts';
import type { FhirIntake, FhirReceipt } from '../../engine/fhir-intake.ts';
import { errorOutcome, issue, outcome } from '../../engine/fhir/operation-outcome.ts';
import { loadFhirDefinitions, validateFhir } from '../../engine/fhir/validator.ts';
import type { Logger } from '../../engine/log.ts';

const FHIR_JSON = 'application/fhir+json';
const sha256 = (s: string) => createHash('sha256').update(s).digest();

/**
 * FHIR R4 REST source for one channel, at `/fhir/<channelId>`: `POST /<Type>`, `PUT /<Type>/<id>`,
 * `POST /` with a transaction, batch or message Bundle, and `GET /metadata`. Every answer that is
 * not a success is an OperationOutcome. Credentials are checked before the body is read (static
 * bearer tokens; SMART Backend Services is the next step of issue 5). 201 only after intake stored
 * the resource; the Location header points at the stored message in the admin API.
 */
export async function registerFhirSource(app: FastifyInstance, o: { channel: ChannelDefinition & { source: FhirSourceSpec }; intake: FhirIntake; log: Logger }): Promise<void> {
  loadFhirDefinitions();
  const { channel } = o;
  const bodyLimit = Number(channel.source.bodyLimitBytes ?? 4 * 1024 * 1024);
  const tokens = (channel.source.tokens ?? []).filter((t) => t !== '').map(sha256);
  const accepted = new Set(channel.accept);

  await app.register(
    async (scope) => {
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser([FHIR_JSON, 'application/json'], { parseAs: 'string', bodyLimit }, (_req, body, done) => {
        try {
          done(null, JSON.parse(body as string));
        } catch {
          done(Object.assign(new Error('The body is not valid JSON'), { statusCode: 400, fhirCode: 'structure' }), undefined);
        }
      });

      scope.addHook('onRequest', async (request, reply) => {
        if (request.url.endsWith('/metadata')) return;
        const header = request.headers.authorization ?? '';
        const token = /^Bearer (.+)$/i.exec(header)?.[1];
        if (!token) return send(reply, 401, errorOutcome('login', 'A bearer token is required'), { 'www-authenticate': 'Bearer' });
        const presented = sha256(token);
        if (!tokens.some((t) => timingSafeEqual(t, presented))) return send(reply, 401, errorOutcome('login', 'The bearer token is not valid'), { 'www-authenticate': 'Bearer error="invalid_token"' });
      });

      scope.setErrorHandler((error: FastifyError & { fhirCode?: OperationOutcomeIssue['code'] }, request, reply) => {
        const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
        const code: OperationOutcomeIssue['code'] = error.fhirCode ?? ({ 413: 'too-long', 415: 'not-supported', 400: 'structure' } as const)[status as 400] ?? 'exception';
        const text =
          status === 413 ? `The body is larger than ${bodyLimit} bytes` : status === 415 ? `Send ${FHIR_JSON} or application/json` : status === 400 ? error.message : 'The request could not be processed';
        if (status === 500) o.log.error('FHIR request failed', { channelId: channel.id, route: request.routeOptions.url, error: error.name });
        return send(reply, status, errorOutcome(code, text));
      });
      scope.setNotFoundHandler((_req, reply) => send(reply, 404, errorOutcome('not-supported', 'Unknown FHIR interaction for this channel')));

      scope.get('/metadata', async (_req, reply) => send(reply, 200, capabilityStatement(channel)));

      scope.post<{ Params: { type: string } }>('/:type', { bodyLimit }, async (request, reply) => {
        const problem = checkResource(request.body, request.params.type, accepted);
        if (problem) return send(reply, problem.status, outcome(problem.issues));
        const dedupeId = requestKey(request);
        const receipt = await o.intake.submit(channel, request.body as Record<string, unknown>, { ...(dedupeId ? { dedupeId } : {}), client: 'token' });
        return answer(reply, receipt);
      });

      scope.put<{ Params: { type: string; id: string } }>('/:type/:id', { bodyLimit }, async (request, reply) => {
        const problem = checkResource(request.body, request.params.type, accepted);
        if (problem) return send(reply, problem.status, outcome(problem.issues));
        if ((request.body as { id?: unknown }).id !== request.params.id) {
          return send(reply, 400, errorOutcome('invalid', `Resource id must equal the id in the URL (${request.params.id})`, [`${request.params.type}.id`]));
        }
        const dedupeId = requestKey(request);
        return answer(reply, await o.intake.submit(channel, request.body as Record<string, unknown>, { ...(dedupeId ? { dedupeId } : {}), client: 'token' }));
      });

      scope.post('/', { bodyLimit }, async (request, reply) => {
        const bundle = request.body as Bundle;
        if (bundle?.resourceType !== 'Bundle') return send(reply, 400, errorOutcome('invalid', 'POST to the base takes a Bundle', ['resourceType']));
        if (!['transaction', 'batch', 'message'].includes(bundle.type ?? '')) return send(reply, 400, errorOutcome('not-supported', 'Bundle.type must be transaction, batch or message', ['Bundle.type']));
        const issues = validateFhir(bundle);
        const entries = (bundle.entry ?? []).filter((e) => e.resource?.resourceType !== 'MessageHeader');
        const unaccepted = entries.flatMap((e, i) => (accepted.has(String(e.resource?.resourceType)) ? [] : [issue('error', 'not-supported', `This channel does not accept ${String(e.resource?.resourceType)}`, [`Bundle.entry[${i}].resource`])]));
        if (bundle.type === 'transaction' && (issues.length > 0 || unaccepted.length > 0)) return send(reply, 400, outcome([...issues, ...unaccepted]));
        const bundleKey = bundle.identifier?.value ? `bundle:${bundle.identifier.system ?? ''}|${bundle.identifier.value}` : requestKey(request);
        const responses: BundleEntry[] = [];
        for (const [i, entry] of entries.entries()) {
          const resource = entry.resource as Record<string, unknown> | undefined;
          const entryIssues = issues.filter((x) => (x.expression ?? []).some((e) => e.startsWith(`Bundle.entry[${i}]`)));
          if (!resource || !accepted.has(String(resource.resourceType)) || entryIssues.length > 0) {
            responses.push({ response: { status: '400 Bad Request', outcome: outcome(entryIssues.length > 0 ? entryIssues : [issue('error', 'not-supported', `This channel does not accept ${String(resource?.resourceType)}`)]) } });
            continue;
          }
          const receipt = await o.intake.submit(channel, resource, { ...(bundleKey ? { dedupeId: `${bundleKey}#${i}` } : {}), client: 'token' });
          if (receipt.kind === 'unavailable' && bundle.type === 'transaction') return send(reply, 503, errorOutcome('transient', 'The message store is unavailable; retry the transaction'));
          responses.push({ response: entryResponse(receipt) });
        }
        return send(reply, 200, { resourceType: 'Bundle', type: bundle.type === 'transaction' ? 'transaction-response' : 'batch-response', entry: responses } satisfies Bundle);
      });
    },
    { prefix: `/fhir/${channel.id}` },
  );
}

/** 400 or 404 for a resource that is not valid FHIR R4 or not for this URL and channel; undefined when fine. */
function checkResource(body: unknown, urlType: string, accepted: Set<string>): { status: number; issues: OperationOutcomeIssue[] } | undefined {
  if (!accepted.has(urlType)) return { status: 404, issues: [issue('error', 'not-supported', `This channel does not accept ${urlType}`)] };
  const issues = validateFhir(body);
  if (issues.length > 0) return { status: 400, issues };
  const type = (body as { resourceType: string }).resourceType;
  if (type !== urlType) return { status: 400, issues: [issue('error', 'invalid', `A ${type} was posted to the ${urlType} endpoint`, ['resourceType'])] };
  return undefined;
}

/** The client's de-duplication key: If-None-Exist (conditional create) or X-Request-Id. */
function requestKey(request: FastifyRequest): string | undefined {
  const h = request.headers['if-none-exist'] ?? request.headers['x-request-id'];
  return typeof h === 'string' && h !== '' ? `req:${h}` : undefined;
}

function entryResponse(r: FhirReceipt): NonNullable<BundleEntry['response']> {
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

function answer(reply: FastifyReply, r: FhirReceipt): FastifyReply {
  const response = entryResponse(r);
  const status = Number(response.status.slice(0, 3));
  if (r.kind === 'accepted' || r.kind === 'duplicate') {
    const text = r.kind === 'accepted' ? `Stored as message ${r.messageId}` : `Already received as message ${r.messageId}`;
    return send(reply, status, outcome([issue('information', 'informational', text)]), { location: response.location!, 'x-switchboard-message-id': r.messageId });
  }
  return send(reply, status, response.outcome!);
}

function send(reply: FastifyReply, status: number, body: unknown, headers: Record<string, string> = {}): FastifyReply {
  return reply.code(status).headers(headers).type(FHIR_JSON).send(body);
}

function capabilityStatement(channel: ChannelDefinition): CapabilityStatement {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: new Date().toISOString().slice(0, 10),
    kind: 'instance',
    fhirVersion: '4.0.1',
    format: [FHIR_JSON, 'application/json'],
    software: { name: 'Switchboard' },
    implementation: { description: `Switchboard channel ${channel.id}` },
    rest: [
      {
        mode: 'server',
        security: { description: 'Bearer tokens (static API tokens for this channel)' },
        resource: channel.accept.map((type) => ({ type: type as CapabilityStatementRestResource['type'], interaction: [{ code: 'create' }, { code: 'update' }] })),
        interaction: [{ code: 'transaction' }, { code: 'batch' }],
      },
    ],
  };
}
