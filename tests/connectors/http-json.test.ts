import test from 'ava';
import { httpJsonDestination } from '../../connectors/http/http-json.destination.ts';
import { connectors } from '../../connectors/index.ts';
import type { ChannelDefinition } from '../../engine/channel.ts';
import { maskChannel, SECRET_MASK } from '../../engine/channels/channel-masking.ts';
import { parseConnectorConfig } from '../../engine/connector-config.ts';
import type { DestinationDefinition } from '../../engine/connector.ts';
import { SwitchboardError } from '../../engine/errors.ts';
import { silentLogger } from '../../engine/log.ts';
import { CanonicalModelName } from '../../transforms/canonical/index.ts';
import { destinationConformance } from '../conformance/destination-suite.ts';
import { startJsonPeer, type JsonAnswer, type SeenRequest } from '../support/json-peer.ts';

const ctx = (key: string) => ({ idempotencyKey: key, attempt: 1, signal: new AbortController().signal, log: silentLogger() });
const make = (url: string, extra: Record<string, unknown> = {}) =>
  httpJsonDestination.create(parseConnectorConfig(httpJsonDestination, { url, ...extra }, 'test'), { log: silentLogger() });
const procedure = { model: 'EncounterEvent', modelVersion: 1, event: { visitNumber: 'V 1/2', site: 'north&east', code: '27447' } };

async function failure(p: Promise<unknown>): Promise<SwitchboardError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof SwitchboardError)) throw new Error(`expected a SwitchboardError, got ${String(err)}`);
  return err;
}

async function peer(t: { teardown(fn: () => Promise<void>): void }, answer?: (req: SeenRequest) => JsonAnswer) {
  const p = await startJsonPeer(answer);
  t.teardown(() => p.close());
  return p;
}

destinationConformance({
  definition: httpJsonDestination as unknown as DestinationDefinition,
  async up() {
    const p = await startJsonPeer();
    return { connector: make(`${p.url}/api/charges`, { timeoutMs: 2000 }), received: async () => p.keys(), close: () => p.close() };
  },
  async down() {
    const p = await startJsonPeer();
    await p.close();
    return make(`${p.url}/api/charges`, { timeoutMs: 2000 });
  },
});

test('POST sends the event as JSON with the key and Accept, and returns the JSON answer as output', async (t) => {
  const p = await peer(t);
  const c = make(`${p.url}/api/procedures`);
  t.teardown(() => c.close());
  const result = await c.send(procedure, ctx('m1:ehr'));
  t.deepEqual(result.output, { id: 'R-1', received: procedure.event });
  t.is(result.responseSummary, '201 id=R-1');
  t.is(result.peerDocumentId, 'R-1');
  const [req] = p.requests;
  t.is(req!.method, 'POST');
  t.is(req!.url, '/api/procedures');
  t.deepEqual(JSON.parse(req!.body), procedure.event);
  t.is(req!.headers['idempotency-key'], 'm1:ehr');
  t.is(req!.headers.accept, 'application/json');
  t.is(req!.headers['content-type'], 'application/json');
});

test('GET fills URL placeholders from the event, URL-encoded, and sends no body', async (t) => {
  const p = await peer(t);
  const c = make(`${p.url}/encounters/{visitNumber}?site={site}`, { method: 'GET', idField: 'id' });
  t.teardown(() => c.close());
  const result = await c.send(procedure, ctx('m2:ehr'));
  const [req] = p.requests;
  t.is(req!.method, 'GET');
  t.is(req!.url, '/encounters/V%201%2F2?site=north%26east');
  t.is(req!.body, '');
  t.is(req!.headers['content-type'], undefined);
  t.deepEqual(result.output, { id: 'E-1', path: '/encounters/V%201%2F2?site=north%26east' });
});

test('a placeholder the event cannot fill is permanent, names the field only, and sends nothing', async (t) => {
  const p = await peer(t);
  const c = make(`${p.url}/patients/{mrn}`, { method: 'GET' });
  t.teardown(() => c.close());
  const e = await failure(c.send(procedure, ctx('m3:ehr')));
  t.is(e.code, 'CANONICAL_INVALID');
  t.is(e.failureClass, 'permanent');
  t.regex(e.message, /\{mrn\}/);
  t.is(p.requests.length, 0);
});

test('failures are classified as erp-rest: GET 404 not found, POST 404 rejected, 503 transient, a hang ambiguous', async (t) => {
  const p = await peer(t, (req) =>
    req.url.includes('missing')
      ? { status: 404, body: { error: 'no such encounter' } }
      : req.url.includes('hang')
        ? 'hang'
        : { status: 503 },
  );
  const notFound = await failure(make(`${p.url}/missing/{visitNumber}`, { method: 'GET' }).send(procedure, ctx('f1')));
  t.deepEqual([notFound.code, notFound.failureClass], ['PEER_NOT_FOUND', 'permanent']);
  t.regex(notFound.peerResponse ?? '', /^404 .*no such encounter/);
  const rejected = await failure(make(`${p.url}/missing`).send(procedure, ctx('f2')));
  t.deepEqual([rejected.code, rejected.failureClass], ['PEER_REJECTED', 'permanent']);
  const unavailable = await failure(make(`${p.url}/down`).send(procedure, ctx('f3')));
  t.deepEqual([unavailable.code, unavailable.failureClass], ['PEER_UNAVAILABLE', 'transient']);
  const timeout = await failure(make(`${p.url}/hang`, { timeoutMs: 200 }).send(procedure, ctx('f4')));
  t.deepEqual([timeout.code, timeout.failureClass], ['PEER_TIMEOUT', 'ambiguous']);
});

test('headers, the bearer token and a custom idempotency header are sent; no secret reaches summaries or errors', async (t) => {
  let fail = false;
  const p = await peer(t, () => (fail ? { status: 500, body: { error: 'boom' } } : { status: 200, body: { id: 7 } }));
  const secrets = { bearerToken: 'tok-SECRET-1', headers: { 'X-Api-Key': 'key-SECRET-2' }, idempotencyHeader: 'X-Request-Id' };
  const c = make(`${p.url}/api/procedures`, secrets);
  t.teardown(() => c.close());
  const result = await c.send(procedure, ctx('h1'));
  const [req] = p.requests;
  t.is(req!.headers.authorization, 'Bearer tok-SECRET-1');
  t.is(req!.headers['x-api-key'], 'key-SECRET-2');
  t.is(req!.headers['x-request-id'], 'h1');
  t.is(result.responseSummary, '200 id=7');
  fail = true;
  const e = await failure(c.send(procedure, ctx('h2')));
  const seen = JSON.stringify([result.responseSummary, e.message, e.publicText, e.peerResponse, String(e.cause ?? '')]);
  t.notRegex(seen, /SECRET/);
});

test('answers that are not a JSON object: other JSON as { value }, an empty or non-JSON body as no output', async (t) => {
  const bodies: Record<string, JsonAnswer> = {
    '/list': { status: 200, body: [1, 2] },
    '/text': { status: 200, body: 'plain text, not JSON' },
    '/empty': { status: 204 },
  };
  const p = await peer(t, (req) => bodies[req.url]!);
  t.deepEqual((await make(`${p.url}/list`).send(procedure, ctx('o1'))).output, { value: [1, 2] });
  const text = await make(`${p.url}/text`).send(procedure, ctx('o2'));
  t.is(text.output, undefined);
  t.is(text.responseSummary, '200', 'never body content');
  const empty = await make(`${p.url}/empty`).send(procedure, ctx('o3'));
  t.deepEqual([empty.output, empty.responseSummary], [undefined, '204']);
});

test('configuration: defaults applied; a placeholder in the host or another scheme is refused', (t) => {
  const config = parseConnectorConfig(httpJsonDestination, { url: 'https://ehr.example.org/e/{visitNumber}' }, 'x');
  t.like(config, { method: 'POST', timeoutMs: 10_000, idempotencyHeader: 'Idempotency-Key', idField: 'id', headers: {} });
  for (const url of ['https://{host}/e', 'ftp://ehr.example.org/e']) {
    const err = t.throws(() => parseConnectorConfig(httpJsonDestination, { url }, 'destination ehr'));
    t.regex(err!.message, /destination ehr\/url/);
  }
  t.deepEqual([...httpJsonDestination.models], Object.values(CanonicalModelName));
});

test('the API masks the bearer token and every header value', (t) => {
  const config = { url: 'https://ehr.example.org/x', bearerToken: 'tok', headers: { 'X-Api-Key': 'k', 'X-Tenant': 'north' } };
  const channel = { id: 'c', source: { kind: 'mllp' }, destinations: [{ id: 'ehr', kind: 'http-json', config }] };
  const masked = maskChannel(channel as unknown as ChannelDefinition, connectors).destinations[0]!.config;
  t.deepEqual(masked, { url: config.url, bearerToken: SECRET_MASK, headers: { 'X-Api-Key': SECRET_MASK, 'X-Tenant': SECRET_MASK } });
});
