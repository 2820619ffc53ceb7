import { timingSafeEqual } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CapabilityStatement, CapabilityStatementRestResource, OperationOutcomeIssue } from '@medplum/fhirtypes';
import type { Intake, SourceTracing } from '../../engine/connector.ts';
import { errorOutcome, issue, outcome } from '../../engine/fhir/operation-outcome.ts';
import { shapeIssues } from './fhir.validator.ts';
import type { FhirValidatorPool } from './fhir.validator-pool.ts';
import { readFhirBody } from './fhir-body.ts';
import { DEFAULT_FHIR_JSON_LIMITS } from './json-limits.ts';
import { FHIR_BODY_LIMIT_CAP, tokenDigest, type FhirSource, type FhirSources } from './fhir-sources.ts';
import { OAuthError, scopeAllows } from '../../engine/security/smart-auth.ts';
import type { Logger } from '../../engine/log.ts';
import { engineMetrics } from '../../engine/metrics/engine-metrics.ts';
import { postBundle } from './fhir-bundle.ts';
import { answer, busy, FHIR_JSON, requestKey, send, sourceOf, validated, type Sourced } from './fhir-http.ts';
import { receiptOf, traceWrites } from './fhir-trace.ts';

/**
 * The channel's SMART token endpoint, from its configured `publicBaseUrl` (never from the request's
 * Host header, which the client chooses): the one audience its client assertions may name.
 */
const tokenEndpoint = (baseUrl: string): string => `${baseUrl}/auth/token`;

/**
 * FHIR R4 REST source, at `/fhir/<channelId>` for each FHIR channel this process serves (read per
 * request from `sources`, so deploys, pauses and removals take effect at once): `POST /<Type>`,
 * `PUT /<Type>/<id>`, `POST /` with a transaction, batch or message Bundle, and `GET /metadata`.
 * Every answer that is not a success is an OperationOutcome: 404 for a channel not served here,
 * 503 while it is paused. Credentials are checked before the body is read: a static bearer token
 * (full access), or an access token from SMART Backend Services (`POST /auth/token`, discovery at
 * `/.well-known/smart-configuration`) whose scopes must cover each resource written (403
 * otherwise). The token endpoint, and so the audience a client assertion must name, is the
 * channel's configured `publicBaseUrl` + `/auth/token`, never derived from the Host header.
 * 201 only after intake stored the resource; Location points at the stored message.
 * Registered once per HTTP server.
 */
export async function registerFhirSources(app: FastifyInstance, o: Routes): Promise<void> {
  await app.register(
    async (scope) => {
      bodyParsers(scope);
      scope.addHook('onRequest', async (request, reply) => authenticate(o.sources, request, reply));
      traceWrites(scope, o.tracing);
      scope.addHook('onResponse', async (request, reply) => timeAnswer(request, reply));
      smartRoutes(scope);
      errorAnswers(scope, o.log);
      resourceRoutes(scope, o);
    },
    { prefix: '/fhir/:channelId' },
  );
}

/**
 * The answer's latency in `switchboard_ack_latency_seconds`, by channel and HTTP status, for requests
 * to a channel this process serves (its id from the deployed channel, never the URL: a client
 * cannot mint label values); requests answered before the channel was found are not counted.
 */
function timeAnswer(request: FastifyRequest, reply: FastifyReply): void {
  const source = (request as Sourced).fhirSource;
  if (source) engineMetrics.ackLatency.observe([source.channel.id, String(reply.statusCode)], reply.elapsedTime / 1000);
}

type Routes = { sources: FhirSources; intake: Intake; validator: FhirValidatorPool; log: Logger; tracing: SourceTracing };

/** Each channel's own limit is enforced per request (onRequest and preParsing); the routes read no more than the cap. */
const bodyLimit = FHIR_BODY_LIMIT_CAP;

/** FHIR JSON as bytes (checked, then parsed), the token endpoint's form, and the per-channel body limit on chunked bodies. */
function bodyParsers(scope: FastifyInstance): void {
  scope.removeAllContentTypeParsers();
  // Bytes, not a string: invalid UTF-8 is refused (never decoded to U+FFFD), and the structure is counted before parsing (readFhirBody).
  scope.addContentTypeParser([FHIR_JSON, 'application/json'], { parseAs: 'buffer', bodyLimit }, (request, body, done) => {
    const read = readFhirBody(request.headers['content-type'], body as Buffer, DEFAULT_FHIR_JSON_LIMITS);
    if (!read.ok)
      return done(Object.assign(new Error(read.text), { statusCode: read.status, fhirCode: read.code, fhirText: read.text }), undefined);
    (request as Sourced).fhirText = read.text;
    done(null, read.value);
  });

  scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 65536 }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  scope.decorateRequest('grantedScopes', null);
  scope.decorateRequest('fhirSource', null);
  scope.decorateRequest('fhirText', null);

  // A body sent without Content-Length (chunked) is cut off at the channel's limit as it arrives.
  scope.addHook('preParsing', async (request, _reply, payload) => {
    const source = (request as Sourced).fhirSource;
    return source ? limitStream(payload, source.bodyLimit) : payload;
  });
}

/**
 * The channel served at this address (404, or 503 while paused), its body limit (413), then the
 * credentials (static token or SMART access token, 401) and their scopes for the resource (403),
 * before the body is read. Discovery, metadata and the token endpoint need no token.
 */
async function authenticate(sources: FhirSources, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
  const source = sources.get((request.params as { channelId?: string }).channelId ?? '');
  if (!source) return send(reply, 404, errorOutcome('not-found', 'No FHIR channel is served at this address'));
  if (source.paused) return send(reply, 503, errorOutcome('transient', 'This channel is paused; retry later'), { 'retry-after': '30' });
  (request as Sourced).fhirSource = source;
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > source.bodyLimit) return send(reply, 413, errorOutcome('too-long', `The body is larger than ${source.bodyLimit} bytes`));
  const path = request.routeOptions.url ?? '';
  if (path.endsWith('/metadata') || path.endsWith('/auth/token') || path.endsWith('/.well-known/smart-configuration')) return undefined;
  const header = request.headers.authorization ?? '';
  const token = /^Bearer (.+)$/i.exec(header)?.[1];
  if (!token) return send(reply, 401, errorOutcome('login', 'A bearer token is required'), { 'www-authenticate': 'Bearer' });
  const presented = tokenDigest(token);
  if (source.tokens.some((t) => timingSafeEqual(t, presented))) {
    (request as Sourced).grantedScopes = ['system/*.write'];
  } else {
    const grant = await source.smart.lookup(token).catch(() => undefined);
    if (!grant)
      return send(reply, 401, errorOutcome('login', 'The bearer token is not valid'), {
        'www-authenticate': 'Bearer error="invalid_token"',
      });
    (request as Sourced).grantedScopes = grant.scopes;
  }
  const type = (request.params as { type?: string }).type;
  const action = request.method === 'PUT' ? 'update' : 'create';
  if (type && !scopeAllows((request as Sourced).grantedScopes!, type, action)) {
    return send(reply, 403, errorOutcome('forbidden', `The token's scopes do not allow ${action} of ${type}`), {
      'www-authenticate': 'Bearer error="insufficient_scope"',
    });
  }
  return undefined;
}

/** SMART Backend Services: `POST /auth/token` (client credentials with a signed assertion) and its discovery document. */
function smartRoutes(scope: FastifyInstance): void {
  scope.post('/auth/token', async (request, reply) => {
    const { smart, baseUrl } = sourceOf(request);
    try {
      // Without a publicBaseUrl a channel has no SMART clients (FhirSources.open).
      if (!baseUrl) throw new OAuthError('invalid_client', 'this channel has no SMART clients');
      const granted = await smart.token((request.body ?? {}) as Record<string, string>, tokenEndpoint(baseUrl));
      return reply.header('cache-control', 'no-store').send(granted);
    } catch (err) {
      if (!(err instanceof OAuthError)) throw err;
      return reply.code(err.status).header('cache-control', 'no-store').send({ error: err.error, error_description: err.description });
    }
  });

  scope.get('/.well-known/smart-configuration', async (request, reply) => {
    const { channel, baseUrl } = sourceOf(request);
    if (!baseUrl)
      return send(reply, 404, errorOutcome('not-found', 'This channel offers no SMART Backend Services (it has no publicBaseUrl)'));
    return {
      token_endpoint: tokenEndpoint(baseUrl),
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384'],
      scopes_supported: channel.accept.flatMap((t) => [`system/${t}.write`, `system/${t}.c`, `system/${t}.u`]),
      capabilities: ['client-confidential-asymmetric'],
    };
  });
}

/** Every error of these routes as an OperationOutcome; 500s are logged by name, never echoed. */
function errorAnswers(scope: FastifyInstance, log: Logger): void {
  scope.setErrorHandler((error: FastifyError & { fhirCode?: OperationOutcomeIssue['code']; fhirText?: string }, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    const code: OperationOutcomeIssue['code'] =
      error.fhirCode ?? ({ 413: 'too-long', 415: 'not-supported', 400: 'structure' } as const)[status as 400] ?? 'exception';
    const limit = (request as Sourced).fhirSource?.bodyLimit ?? bodyLimit;
    const text =
      error.fhirText ??
      (status === 413
        ? `The body is larger than ${limit} bytes`
        : status === 415
          ? `Send ${FHIR_JSON} or application/json`
          : status === 400
            ? error.message
            : 'The request could not be processed');
    if (status === 500)
      log.error('FHIR request failed', {
        channelId: (request as Sourced).fhirSource?.channel.id,
        route: request.routeOptions.url,
        error: error.name,
      });
    return send(reply, status, errorOutcome(code, text));
  });
  scope.setNotFoundHandler((_req, reply) => send(reply, 404, errorOutcome('not-supported', 'Unknown FHIR interaction for this channel')));
}

/** `GET /metadata`, `POST /<Type>`, `PUT /<Type>/<id>` and `POST /` (Bundles). */
function resourceRoutes(scope: FastifyInstance, o: Routes): void {
  scope.get('/metadata', async (request, reply) => send(reply, 200, capabilityStatement(sourceOf(request))));

  scope.post<{ Params: { type: string } }>('/:type', { bodyLimit }, async (request, reply) => {
    const { channel, accepted } = sourceOf(request);
    const problem = await checkResource(request, request.params.type, accepted, o.validator);
    if (problem === 'busy') return busy(reply);
    if (problem) return send(reply, problem.status, outcome(problem.issues));
    const dedupeId = requestKey(request);
    const receipt = await o.intake.fhir(channel, request.body as Record<string, unknown>, {
      ...(dedupeId ? { dedupeId } : {}),
      client: 'token',
      ...receiptOf(request),
    });
    return answer(reply, receipt);
  });

  scope.put<{ Params: { type: string; id: string } }>('/:type/:id', { bodyLimit }, async (request, reply) => {
    const { channel, accepted } = sourceOf(request);
    const problem = await checkResource(request, request.params.type, accepted, o.validator);
    if (problem === 'busy') return busy(reply);
    if (problem) return send(reply, problem.status, outcome(problem.issues));
    if ((request.body as { id?: unknown }).id !== request.params.id) {
      return send(
        reply,
        400,
        errorOutcome('invalid', `Resource id must equal the id in the URL (${request.params.id})`, [`${request.params.type}.id`]),
      );
    }
    const dedupeId = requestKey(request);
    return answer(
      reply,
      await o.intake.fhir(channel, request.body as Record<string, unknown>, {
        ...(dedupeId ? { dedupeId } : {}),
        client: 'token',
        ...receiptOf(request),
      }),
    );
  });

  scope.post('/', { bodyLimit }, async (request, reply) => postBundle(request, reply, o.intake, o.validator));
}

/**
 * 400 or 404 for a resource that is not valid FHIR R4 or not for this URL and channel; undefined
 * when fine; `busy` when the validation pool's queue is full. The cheap checks run first, on the
 * event loop; the R4 validation in a worker (FhirValidatorPool).
 */
async function checkResource(
  request: FastifyRequest,
  urlType: string,
  accepted: ReadonlySet<string>,
  validator: FhirValidatorPool,
): Promise<{ status: number; issues: OperationOutcomeIssue[] } | 'busy' | undefined> {
  if (!accepted.has(urlType)) return { status: 404, issues: [issue('error', 'not-supported', `This channel does not accept ${urlType}`)] };
  const shape = shapeIssues(request.body);
  if (shape.length > 0) return { status: 400, issues: shape };
  const type = (request.body as { resourceType: string }).resourceType;
  if (type !== urlType)
    return { status: 400, issues: [issue('error', 'invalid', `A ${type} was posted to the ${urlType} endpoint`, ['resourceType'])] };
  const verdict = await validated(request, validator);
  if (verdict.kind === 'busy') return 'busy';
  return verdict.issues.length > 0 ? { status: 400, issues: verdict.issues } : undefined;
}

function capabilityStatement({ channel, baseUrl }: FhirSource): CapabilityStatement {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: new Date().toISOString().slice(0, 10),
    kind: 'instance',
    fhirVersion: '4.0.1',
    format: [FHIR_JSON, 'application/json'],
    software: { name: 'Switchboard' },
    implementation: { description: `Switchboard channel ${channel.id}`, ...(baseUrl ? { url: baseUrl } : {}) },
    rest: [
      {
        mode: 'server',
        security: {
          service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }] }],
          description: 'SMART Backend Services (private_key_jwt, RS384/ES384) or a static API token',
        },
        resource: channel.accept.map((type) => ({
          type: type as CapabilityStatementRestResource['type'],
          interaction: [{ code: 'create' }, { code: 'update' }],
        })),
        interaction: [{ code: 'transaction' }, { code: 'batch' }],
      },
    ],
  };
}

/**
 * The request body, failing with a 413 error (answered as a `too-long` OperationOutcome) as soon as
 * more than `limit` bytes have arrived: the rest is never read.
 */
function limitStream(payload: Readable, limit: number): Transform {
  let received = 0;
  const limited = new Transform({
    transform(chunk: Buffer, _encoding, next) {
      received += chunk.length;
      if (received > limit) next(Object.assign(new Error('body too large'), { statusCode: 413 }));
      else next(null, chunk);
    },
  });
  payload.on('error', (err) => limited.destroy(err));
  return payload.pipe(limited);
}
