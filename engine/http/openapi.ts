import { ErrorCatalog } from '../errors.ts';
import { Access } from '../security/roles.ts';
import { CSRF_HEADER, SESSION_COOKIE, type AdminRoute } from './access.ts';

type JsonSchema = Record<string, unknown>;

export interface OpenApiParameter {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  description?: string;
  schema: JsonSchema;
}

export interface OpenApiOperation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  /** The permission the route declared (`public`, `authenticated`, or one permission of engine/security/roles.ts). */
  'x-switchboard-permission': Access;
  security: Record<string, string[]>[];
  parameters: OpenApiParameter[];
  requestBody?: { required: true; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: JsonSchema }> } | { $ref: string }>;
}

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  tags: { name: string }[];
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: {
    schemas: Record<string, JsonSchema>;
    responses: Record<string, { description: string; content: Record<string, { schema: JsonSchema }> }>;
    securitySchemes: Record<string, JsonSchema>;
  };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const PROBLEM_REF = { $ref: '#/components/schemas/Problem' };

/** RFC 9457 problem details, as engine/http/problem.ts sends them (the transform test bench adds `errors`). */
const ProblemSchema: JsonSchema = {
  type: 'object',
  required: ['type', 'title', 'status', 'code'],
  properties: {
    type: { type: 'string', format: 'uri', description: 'identifies the problem type' },
    title: { type: 'string', description: 'the code’s fixed, public text' },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    detail: { type: 'string', description: 'what went wrong in this request; never patient data' },
    code: { type: 'string', enum: Object.keys(ErrorCatalog) },
  },
};

const problemResponse = (description: string) => ({ description, content: { 'application/problem+json': { schema: PROBLEM_REF } } });

/** A copy without TypeBox's symbol keys: plain JSON Schema (2020-12 compatible, as OpenAPI 3.1 uses). */
const plain = (schema: unknown): JsonSchema => JSON.parse(JSON.stringify(schema)) as JsonSchema;

/** `/api/messages/:id` → `/api/messages/{id}` and the names of its path parameters. */
export function openApiPath(url: string): { path: string; params: string[] } {
  const params: string[] = [];
  const path = url.replace(/:([A-Za-z0-9_]+)/g, (_m, name: string) => {
    params.push(name);
    return `{${name}}`;
  });
  return { path, params };
}

/** The tag of a route: the first segment after /api (`/metrics` is `metrics`), without an extension. */
const tagOf = (url: string) => (url.replace(/^\/api\//, '/').split('/')[1] ?? '').replace(/\..*$/, '');

const operationId = (method: string, url: string) =>
  method.toLowerCase() +
  url
    .replace(/^\/api\//, '/')
    .split(/[/.]/)
    .filter(Boolean)
    .map((s) =>
      (s.startsWith(':') ? `By${s[1]!.toUpperCase()}${s.slice(2)}` : `${s[0]!.toUpperCase()}${s.slice(1)}`).replace(/[^A-Za-z0-9]/g, ''),
    )
    .join('');

/** Who may call: nothing for public routes; else the console's session (with the CSRF header on a change) or an API token. */
function securityOf(method: string, access: Access): Record<string, string[]>[] {
  if (access === Access.public) return [];
  return [SAFE_METHODS.has(method) ? { sessionCookie: [] } : { sessionCookie: [], csrfToken: [] }, { apiToken: [] }];
}

function queryParameters(querystring: unknown): OpenApiParameter[] {
  if (!querystring) return [];
  const q = plain(querystring) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(q.properties ?? {}).map(([name, schema]) => ({
    name,
    in: 'query' as const,
    // A parameter with a default may be left out, though TypeBox lists it as required.
    required: (q.required ?? []).includes(name) && !('default' in schema),
    ...(typeof schema.description === 'string' ? { description: schema.description } : {}),
    schema,
  }));
}

function operation(route: AdminRoute, params: string[]): OpenApiOperation {
  const { schema, access, method, url } = route;
  const declaredParams = schema.params ? ((plain(schema.params).properties ?? {}) as Record<string, JsonSchema>) : {};
  const parameters: OpenApiParameter[] = [
    ...params.map((name) => ({ name, in: 'path' as const, required: true, schema: declaredParams[name] ?? { type: 'string' } })),
    ...queryParameters(schema.querystring),
  ];
  const responses: OpenApiOperation['responses'] = {};
  if (schema.response) {
    for (const [status, body] of Object.entries(schema.response as Record<string, unknown>))
      responses[status] = { description: 'Success', content: { 'application/json': { schema: plain(body) } } };
  } else {
    responses['2XX'] = { description: 'Success (see the description for the status and the body)' };
  }
  if (schema.body || schema.querystring || schema.params) responses['400'] = { $ref: '#/components/responses/BadRequest' };
  if (access !== Access.public) responses['401'] = { $ref: '#/components/responses/Unauthorized' };
  if (access !== Access.public && (access !== Access.authenticated || !SAFE_METHODS.has(method)))
    responses['403'] = { $ref: '#/components/responses/Forbidden' };
  if (params.length > 0) responses['404'] = { $ref: '#/components/responses/NotFound' };
  responses.default = { $ref: '#/components/responses/Problem' };
  return {
    operationId: operationId(method, url),
    summary: schema.summary ?? '',
    ...(schema.description ? { description: schema.description } : {}),
    tags: [tagOf(url)],
    'x-switchboard-permission': access,
    security: securityOf(method, access),
    parameters,
    ...(schema.body ? { requestBody: { required: true as const, content: { 'application/json': { schema: plain(schema.body) } } } } : {}),
    responses,
  };
}

/**
 * The admin API's OpenAPI 3.1 document, made from the routes as registered (access.ts records each
 * with its `config.access` and `schema`): one operation per method and path, with its summary and
 * description, its permission as `x-switchboard-permission` and in `security`, its parameters and
 * body from the TypeBox schemas, and the RFC 9457 problem answers it may give. Success bodies are
 * described where a route declares a response schema, else in its description.
 */
export function buildOpenApiDocument(routes: readonly AdminRoute[], version: string): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  for (const route of routes) {
    const { path, params } = openApiPath(route.url);
    (paths[path] ??= {})[route.method.toLowerCase()] = operation(route, params);
  }
  const tags = [...new Set(routes.map((r) => tagOf(r.url)))].map((name) => ({ name }));
  return {
    openapi: '3.1.0',
    info: {
      title: 'Switchboard admin API',
      version,
      description:
        'The console’s API: sign-in, users, channels, messages, dead letters and replay, transforms, audit log, metrics. Errors are RFC ' +
        '9457 problem details (application/problem+json).',
    },
    tags,
    paths,
    components: {
      schemas: { Problem: ProblemSchema },
      responses: {
        BadRequest: problemResponse('The request does not match the schema (the detail names the field)'),
        Unauthorized: problemResponse('No valid session or API token (AUTH_REQUIRED)'),
        Forbidden: problemResponse(
          'The caller lacks the permission, or a change came without the session’s CSRF token (FORBIDDEN; audited)',
        ),
        NotFound: problemResponse('No such object, or one outside the caller’s channels (NOT_FOUND)'),
        Problem: problemResponse('Any other failure, e.g. 413 PAYLOAD_TOO_LARGE, 429 TOO_MANY_REQUESTS, 503 STORE_UNAVAILABLE'),
      },
      securitySchemes: {
        sessionCookie: {
          type: 'apiKey',
          in: 'cookie',
          name: SESSION_COOKIE,
          description: 'The console’s session, set by POST /api/auth/login (httpOnly, Secure, SameSite=Strict).',
        },
        csrfToken: {
          type: 'apiKey',
          in: 'header',
          name: 'X-CSRF-Token',
          description: `The session’s CSRF token from the sign-in answer; required with the cookie on every change (${CSRF_HEADER}).`,
        },
        apiToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API token (sbt_…) from POST /api/tokens, for automation; it carries its user’s role.',
        },
      },
    },
  };
}
