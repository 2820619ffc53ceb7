import test from 'ava';
import { ErrorCatalog } from '../../engine/errors.ts';
import { listAdminRoutes } from '../../engine/http/access.ts';
import { openApiPath, type OpenApiDocument, type OpenApiOperation } from '../../engine/http/openapi.ts';
import { CONTENT_SECURITY_POLICY } from '../../engine/http/security-headers.ts';
import { startTestEngine, testChannel, type TestEngine } from '../support/harness.ts';
import { userSession } from '../support/users.ts';

let sb: TestEngine;
let doc: OpenApiDocument;

test.before(async () => {
  sb = await startTestEngine({ channels: [testChannel({ erpUrl: 'http://127.0.0.1:9' })] });
  const res = await sb.engine.http!.inject({ method: 'GET', url: '/api/openapi.json', headers: sb.adminHeaders });
  if (res.statusCode !== 200) throw new Error(`openapi.json: ${res.statusCode}`);
  doc = res.json();
});
test.after.always(() => sb?.close());

const operations = () =>
  Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, op })));

/** Resolves a local `$ref` such as `#/components/responses/Problem`; undefined when it points nowhere. */
const resolve = (ref: string): unknown =>
  ref
    .replace(/^#\//, '')
    .split('/')
    .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], doc);

test('every admin route is in the document, with its summary and permission, and the document lists nothing else', (t) => {
  const routes = listAdminRoutes(sb.engine.http!);
  t.true(routes.length > 20);
  for (const r of routes) {
    const op = doc.paths[openApiPath(r.url).path]?.[r.method.toLowerCase()];
    if (!op) {
      t.fail(`${r.method} ${r.url} is missing from the OpenAPI document`);
      continue;
    }
    t.true(op.summary.trim().length > 0, `${r.method} ${r.url} has no schema.summary`);
    t.is(op['x-switchboard-permission'], r.access, `${r.method} ${r.url} permission`);
  }
  t.is(operations().length, routes.length, 'one operation per route');
  for (const { path, method } of operations()) {
    t.true(
      sb.engine.http!.hasRoute({ method: method.toUpperCase() as 'GET', url: path.replace(/\{(\w+)\}/g, ':$1') }),
      `${method} ${path} is served`,
    );
  }
});

test('the document is a well-formed OpenAPI 3.1 document', (t) => {
  t.is(doc.openapi, '3.1.0');
  t.truthy(doc.info.title);
  t.regex(doc.info.version, /^\d+\.\d+\.\d+/);
  const tagNames = new Set(doc.tags.map((x) => x.name));
  const schemes = new Set(Object.keys(doc.components.securitySchemes));
  const operationIds = new Set<string>();
  t.true(operations().length > 0);
  for (const [path, ops] of Object.entries(doc.paths)) {
    t.regex(path, /^\/[^:]*$/, `${path}: absolute, templated with {name}`);
    t.true(Object.keys(ops).length > 0, `${path} has operations`);
    const templated = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    for (const [method, op] of Object.entries(ops) as [string, OpenApiOperation][]) {
      const where = `${method.toUpperCase()} ${path}`;
      t.true(['get', 'post', 'put', 'patch', 'delete'].includes(method), where);
      t.false(operationIds.has(op.operationId), `${where}: operationId ${op.operationId} is unique`);
      operationIds.add(op.operationId);
      t.true(op.tags.length > 0 && op.tags.every((x) => tagNames.has(x)), `${where}: tags are declared`);
      // Path parameters: exactly the templated names, each required.
      t.deepEqual(
        op.parameters
          .filter((p) => p.in === 'path')
          .map((p) => p.name)
          .sort(),
        [...templated].sort(),
        `${where}: path parameters`,
      );
      const seen = new Set<string>();
      for (const p of op.parameters) {
        t.true(['path', 'query'].includes(p.in) && typeof p.schema === 'object', `${where}: parameter ${p.name}`);
        if (p.in === 'path') t.true(p.required, `${where}: path parameter ${p.name} is required`);
        t.false(seen.has(`${p.in}:${p.name}`), `${where}: parameter ${p.name} once`);
        seen.add(`${p.in}:${p.name}`);
      }
      if (op.requestBody) t.truthy(op.requestBody.content['application/json']?.schema, `${where}: body schema`);
      // Responses: a success, and every error as a problem; each resolvable, each described.
      const statuses = Object.keys(op.responses);
      t.true(
        statuses.some((s) => /^2(\d\d|XX)$/.test(s)),
        `${where}: a success response`,
      );
      for (const [status, r] of Object.entries(op.responses)) {
        t.regex(status, /^([1-5](\d\d|XX)|default)$/, `${where}: status key ${status}`);
        const response = ('$ref' in r ? resolve(r.$ref) : r) as
          { description?: string; content?: Record<string, { schema: { $ref?: string } }> } | undefined;
        t.truthy(response?.description, `${where} ${status}: resolves and is described`);
        if (/^[45]/.test(status) || status === 'default')
          t.is(
            response?.content?.['application/problem+json']?.schema.$ref,
            '#/components/schemas/Problem',
            `${where} ${status}: a problem`,
          );
      }
      // Security: public routes need nothing; the others name declared schemes; a change by session needs the CSRF header.
      if (op['x-switchboard-permission'] === 'public') t.deepEqual(op.security, [], where);
      else {
        t.true(
          op.security.length > 0 && op.security.every((req) => Object.keys(req).every((s) => schemes.has(s))),
          `${where}: security schemes`,
        );
        const session = op.security.find((req) => 'sessionCookie' in req)!;
        t.is('csrfToken' in session, method !== 'get', `${where}: CSRF header with the session on a change`);
        t.true(statuses.includes('401'), `${where}: 401`);
      }
    }
  }
  // Every $ref anywhere in the document resolves.
  const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]!);
  for (const ref of new Set(refs)) t.truthy(resolve(ref), `${ref} resolves`);
});

test('operations carry their permission, parameters and bodies from the route schemas', (t) => {
  const search = doc.paths['/api/messages']!.get!;
  t.is(search['x-switchboard-permission'], 'messages:read');
  t.like(
    search.parameters.find((p) => p.name === 'limit'),
    { in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 } },
  );
  t.deepEqual(
    search.parameters.find((p) => p.name === 'status')?.schema.anyOf,
    ['received', 'routed', 'delivered', 'partially-delivered', 'dead', 'errored', 'rejected', 'filtered'].map((s) => ({
      const: s,
      type: 'string',
    })),
  );
  const replay = doc.paths['/api/replays']!.post!;
  t.is(replay['x-switchboard-permission'], 'deliveries:replay');
  t.deepEqual((replay.requestBody!.content['application/json']!.schema as { required: string[] }).required.sort(), ['dryRun', 'reason']);
  t.deepEqual(replay.security, [{ sessionCookie: [], csrfToken: [] }, { apiToken: [] }]);
  t.is(doc.paths['/metrics']!.get!['x-switchboard-permission'], 'metrics:read');
  t.truthy(doc.paths['/api/metrics/summary']!.get!.responses['200'], 'a declared response schema is used');
  t.deepEqual(doc.components.securitySchemes.sessionCookie, {
    type: 'apiKey',
    in: 'cookie',
    name: 'sb_session',
    description: doc.components.securitySchemes.sessionCookie!.description,
  });
});

test('real error answers match the Problem schema', async (t) => {
  const problem = doc.components.schemas.Problem as { required: string[]; properties: { code: { enum: string[] } } };
  t.deepEqual(problem.properties.code.enum, Object.keys(ErrorCatalog));
  const answers = await Promise.all([
    sb.engine.http!.inject({ method: 'GET', url: '/api/messages/no-such-id', headers: sb.adminHeaders }),
    sb.engine.http!.inject({ method: 'GET', url: '/api/messages?limit=0', headers: sb.adminHeaders }),
    sb.engine.http!.inject({ method: 'GET', url: '/api/openapi.json' }),
  ]);
  t.deepEqual(
    answers.map((a) => a.statusCode),
    [404, 400, 401],
  );
  for (const a of answers) {
    t.is(a.headers['content-type'], 'application/problem+json; charset=utf-8');
    const body = a.json();
    for (const key of problem.required) t.true(key in body, `${a.statusCode}: ${key}`);
    t.true(problem.properties.code.enum.includes(body.code));
    t.is(body.status, a.statusCode);
  }
});

test('the docs page: server-rendered, every operation on it, no script or inline style, its stylesheet from the same origin', async (t) => {
  const viewer = await userSession(sb, { username: 'doc-reader', role: 'viewer' });
  const page = await sb.engine.http!.inject({ method: 'GET', url: '/api/docs', headers: viewer });
  t.is(page.statusCode, 200);
  t.is(page.headers['content-type'], 'text/html; charset=utf-8');
  t.is(page.headers['content-security-policy'], CONTENT_SECURITY_POLICY);
  for (const { path, method, op } of operations()) {
    t.true(page.body.includes(`<code>${path}</code>`), `${method} ${path} on the page`);
    t.true(page.body.includes(`id="${op.operationId}"`), `${op.operationId} anchor`);
  }
  t.notRegex(page.body, /<script|<style|\sstyle=|\son[a-z]+=/i, 'no script, inline style or event handler');
  t.regex(page.body, /<link rel="stylesheet" href="\/api\/docs\.css">/);
  const css = await sb.engine.http!.inject({ method: 'GET', url: '/api/docs.css', headers: viewer });
  t.is(css.statusCode, 200);
  t.is(css.headers['content-type'], 'text/css; charset=utf-8');
  t.is((await sb.engine.http!.inject({ method: 'GET', url: '/api/docs' })).statusCode, 401, 'signed-in users only');
});
