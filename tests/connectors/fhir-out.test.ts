import test from 'ava';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fhirOutDestination } from '../../connectors/fhir/fhir.destination.ts';
import { IDEMPOTENCY_SYSTEM } from '../../connectors/fhir/fhir.outbound-mapping.ts';
import { parseConnectorConfig } from '../../engine/connector-config.ts';
import type { DestinationDefinition } from '../../engine/connector.ts';
import { SwitchboardError } from '../../engine/errors.ts';
import { silentLogger } from '../../engine/log.ts';
import { startFhirServerPeer } from '../../peers/fhir-server-peer.ts';
import { destinationConformance } from '../conformance/destination-suite.ts';

const make = (baseUrl: string, mode: 'create' | 'update' | 'transaction' = 'create') =>
  fhirOutDestination.create(parseConnectorConfig(fhirOutDestination, { baseUrl, mode, timeoutMs: 2000 }, 'test'), { log: silentLogger() });
const ctx = (key: string) => ({ idempotencyKey: key, attempt: 1, signal: new AbortController().signal, log: silentLogger() });
const keysOf = (resources: Record<string, unknown>[]) =>
  resources.flatMap((r) =>
    ((r.identifier as { system?: string; value?: string }[] | undefined) ?? [])
      .filter((i) => i.system === IDEMPOTENCY_SYSTEM)
      .map((i) => i.value!),
  );
const charge = {
  model: 'ChargeEvent',
  modelVersion: 1,
  event: {
    code: '27447',
    codeSystem: 'http://www.ama-assn.org/go/cpt',
    quantity: 1,
    serviceDate: '2026-03-20',
    encounter: { visitNumber: 'V1' },
    costCenter: 'CC-1',
    transactionType: 'CG',
  },
};

destinationConformance({
  definition: fhirOutDestination as unknown as DestinationDefinition,
  async up() {
    const peer = await startFhirServerPeer();
    return { connector: make(peer.url), received: async () => keysOf(peer.resources()), close: () => peer.close() };
  },
  async down() {
    const peer = await startFhirServerPeer();
    await peer.close();
    return make(peer.url);
  },
});

for (const mode of ['create', 'update', 'transaction'] as const) {
  test(`${mode}: a repeated key leaves one resource on the server, with its location kept`, async (t) => {
    const peer = await startFhirServerPeer();
    t.teardown(() => peer.close());
    const c = make(peer.url, mode);
    const first = await c.send(charge, ctx(`m1:fhir`));
    await c.send(charge, ctx(`m1:fhir`));
    t.is(peer.resources().length, 1);
    t.regex(first.peerDocumentId ?? '', /^ChargeItem\//);
    t.is((peer.resources()[0] as { resourceType: string }).resourceType, 'ChargeItem');
  });
}

test('5xx is transient, 4xx permanent with the OperationOutcome text', async (t) => {
  const peer = await startFhirServerPeer();
  t.teardown(() => peer.close());
  const c = make(peer.url);
  peer.failNext(503, 1);
  const e1 = await c.send(charge, ctx('x1')).catch((e: unknown) => e as SwitchboardError);
  t.is((e1 as SwitchboardError).failureClass, 'transient');
  peer.failNext(422, 1);
  const e2 = (await c.send(charge, ctx('x2')).catch((e: unknown) => e)) as SwitchboardError;
  t.is(e2.code, 'PEER_REJECTED');
  t.is(e2.peerResponse, '422 simulated failure');
});

test("the FHIR server's Retry-After is kept on 503 and 429, as erp-rest keeps it (classifyHttpAnswer)", async (t) => {
  const answers = [
    { status: 503, wait: '4' },
    { status: 429, wait: '2' },
  ];
  const server = http.createServer((_req, res) => {
    const a = answers.shift()!;
    res.writeHead(a.status, { 'retry-after': a.wait, 'content-type': 'application/fhir+json' }).end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const c = make(`http://127.0.0.1:${(server.address() as AddressInfo).port}/fhir`);
  const unavailable = (await c.send(charge, ctx('ra1')).catch((err: unknown) => err)) as SwitchboardError;
  t.deepEqual([unavailable.code, unavailable.retryAfterMs], ['PEER_UNAVAILABLE', 4000]);
  const limited = (await c.send(charge, ctx('ra2')).catch((err: unknown) => err)) as SwitchboardError;
  t.deepEqual([limited.code, limited.retryAfterMs], ['PEER_RATE_LIMITED', 2000]);
});

test('a redirect is not followed: permanent, and the resource reaches no other server', async (t) => {
  const elsewhere = await startFhirServerPeer();
  t.teardown(() => elsewhere.close());
  const redirecting = http.createServer((req, res) => res.writeHead(308, { location: `${elsewhere.url}${req.url}` }).end());
  await new Promise<void>((r) => redirecting.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => redirecting.close(() => r())));
  const e = (await make(`http://127.0.0.1:${(redirecting.address() as AddressInfo).port}/fhir`)
    .send(charge, ctx('r1'))
    .catch((err: unknown) => err)) as SwitchboardError;
  t.is(e.code, 'PEER_REJECTED');
  t.regex(e.peerResponse ?? '', /^308/);
  t.deepEqual(elsewhere.resources(), []);
});
