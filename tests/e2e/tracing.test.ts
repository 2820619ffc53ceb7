import test from 'ava';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ErpSimulator } from '../../peers/erp-simulator.ts';
import { DEMO_SEED, flowPeerEnv, startFlowPeers, type FlowPeers } from '../../peers/flow-peers.ts';
import { startOtlpCollector, type CollectedSpan, type OtlpCollector } from '../../peers/otlp-collector.ts';
import { uniqueName } from '../../scripts/lib/unique-name.ts';
import { spawnEngine, type EngineProcess } from '../support/engine-process.ts';
import { waitFor } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';
import { withoutGeneratedIds } from '../support/generated-text.ts';
import { sharedMongoUrl, sharedRedisUrl } from '../support/services.ts';
import { corpusCase, requireShared, SHARED } from '../support/shared.ts';

/*
 * Traces across processes (issue 25, part 3): the engine as `npm start` runs it, one ingest
 * process and one worker process on one Redis and store, both exporting to a real OTLP/HTTP
 * receiver on the loopback (peers/otlp-collector.ts). The delivery's spans are made in the worker,
 * from the trace context that crossed Redis in the job. The demo's procedure flow runs on the DFT's
 * charges against the development peers (peers/flow-peers.ts), its steps in the same trace.
 */

const SPAN_KIND = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 } as const;
const TOKEN = 'tracing-test-token';

let collector: OtlpCollector;
let peers: FlowPeers;
let erp: ErpSimulator;
let ingest: EngineProcess;
let worker: EngineProcess;

test.before(async () => {
  collector = await startOtlpCollector();
  // The corpus DFT's visit, known to the encounter peer: the flow's first step finds it.
  peers = await startFlowPeers({ ...DEMO_SEED, encounters: [{ visitNumber: 'V00098765', status: 'in-progress', class: 'I' }] });
  erp = peers.procedure.erp;
  const env = {
    ...flowPeerEnv(peers),
    REDIS_URL: sharedRedisUrl(),
    MONGODB_URL: sharedMongoUrl(),
    MONGODB_DB: uniqueName('sbtrace'),
    QUEUE_PREFIX: uniqueName('sbq'),
    FHIR_API_TOKEN: TOKEN,
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
    OTEL_SERVICE_NAME: 'switchboard-test',
    // The batch processor's delay: spans reach the receiver within a few hundred milliseconds.
    OTEL_BSP_SCHEDULE_DELAY: '200',
  };
  [ingest, worker] = await Promise.all([spawnEngine(env, ['--role', 'ingest']), spawnEngine(env, ['--role', 'worker'])]);
});

test.after.always(async () => {
  await Promise.all([ingest, worker].map((p) => p?.kill('SIGTERM')));
  await peers?.close();
  await collector?.close();
});

/** The spans of one trace, once its deliveries have all ended `delivered` (each reported by the worker's exporter). */
async function deliveredTrace(root: (s: CollectedSpan) => boolean, deliveries: number): Promise<CollectedSpan[]> {
  const traceId = (await waitFor('the root span', () => collector.spans().find(root))).traceId;
  // An attempt's span ends after its sends' spans: once it is received, so are they.
  return waitFor(`${deliveries} delivered attempts in trace ${traceId}`, () => {
    const spans = collector.spans().filter((s) => s.traceId === traceId);
    const delivered = spans.filter((s) => s.name === 'delivery attempt' && s.attributes['switchboard.outcome'] === 'delivered');
    return delivered.length === deliveries ? spans : undefined;
  });
}

/** The one span named `name` whose parent is `parent` (fails the test otherwise). */
function childOf(t: import('ava').ExecutionContext, spans: CollectedSpan[], parent: CollectedSpan, name: string): CollectedSpan {
  const found = spans.filter((s) => s.name === name && s.parentSpanId === parent.spanId);
  t.is(found.length, 1, `one "${name}" under "${parent.name}": ${spans.map((s) => `${s.name}<${s.parentSpanId ?? '-'}`).join(', ')}`);
  return found[0]!;
}

/** Every text a span says (name aside): attribute values, events and theirs, links' attributes, status text, the resource's attributes. */
function spoken(spans: CollectedSpan[]): string[] {
  const values = (o: Record<string, unknown>) => Object.entries(o).flatMap(([k, v]) => [k, withoutGeneratedIds(JSON.stringify(v))]);
  return spans.flatMap((s) => [
    ...values(s.attributes),
    ...s.events.flatMap((e) => [e.name, ...values(e.attributes)]),
    ...s.links.flatMap((l) => values(l.attributes)),
    s.status.message ?? '',
    ...values(s.resource),
  ]);
}

/**
 * The procedure flow's steps in the message's trace: the first step of each instance (one per
 * ChargeEvent) under the flow's start, each with its call to the encounter peer; the steps after it
 * under the step that queued them.
 */
async function flowStepsTraced(t: import('ava').ExecutionContext, traceId: string, start: CollectedSpan): Promise<void> {
  const steps = (id: string) =>
    collector.spans().filter((s) => s.traceId === traceId && s.name === 'flow step' && s.attributes['switchboard.flow.step.id'] === id);
  const first = await waitFor('3 first steps done', () => {
    const done = steps('validate-encounter').filter((s) => s.attributes['switchboard.outcome'] === 'done');
    return done.length === 3 ? done : undefined;
  });
  for (const step of first) {
    t.is(step.parentSpanId, start.spanId, 'a first step under the flow start');
    t.is(step.kind, SPAN_KIND.consumer);
    const call = collector.spans().find((s) => s.name === 'send event' && s.parentSpanId === step.spanId);
    t.is(call?.attributes['http.response.status_code'], 200, 'the lookup, answered');
  }
  const next = await waitFor('the next steps', () => (steps('post-inventory').length >= 3 ? steps('post-inventory') : undefined));
  const firstOf = new Map(first.map((s) => [s.attributes['switchboard.flow.instance.id'], s.spanId]));
  const describe = (id: string | undefined) => {
    const s = collector.spans().find((x) => x.spanId === id);
    return s ? `${s.name} ${JSON.stringify(s.attributes)}` : `unknown ${id}`;
  };
  for (const step of next)
    t.is(
      step.parentSpanId,
      firstOf.get(step.attributes['switchboard.flow.instance.id']),
      `under the step before it: ${JSON.stringify(step.attributes)} under ${describe(step.parentSpanId)}`,
    );
}

/** The PID fields of an HL7 text read by hand (not by our codec): identifiers, name, birth date, address, their components. */
function pidValues(hl7: string): string[] {
  const pid = hl7
    .split(/\r\n|\r|\n/)
    .find((l) => l.startsWith('PID|'))!
    .split('|');
  // PID-3 identifiers, PID-5 name, PID-7 birth date, PID-11 address, PID-13 phone, PID-19 SSN.
  const fields = [3, 5, 7, 11, 13, 19].map((n) => pid[n] ?? '');
  return [...new Set(fields.flatMap((f) => [f, ...f.split(/[~^&]/)]).filter((v) => v.length >= 3))];
}

test.serial('a DFT over MLLP: one trace from the frame to each ERP posting, across the ingest and worker processes; no PHI', async (t) => {
  if (!requireShared(t)) return;
  const { bytes } = await corpusCase('008-dft-p03-charges');
  const client = await MllpTestClient.connect(ingest.mllpPort);
  const ack = await client.send(bytes);
  client.close();
  t.is(field(ack, 'MSA', 1), 'AA', ack);

  const spans = await deliveredTrace((s) => s.name === 'mllp frame', 1);
  const root = spans.find((s) => s.name === 'mllp frame')!;
  t.falsy(root.parentSpanId, 'the frame is the root');
  t.is(root.kind, SPAN_KIND.server);
  t.is(root.attributes['switchboard.channel.id'], 'ehr-mllp');
  t.is(root.attributes['switchboard.ack.code'], 'AA');
  const intake = childOf(t, spans, root, 'intake hl7');
  t.like(intake.attributes, { 'switchboard.message.type': 'DFT', 'switchboard.message.trigger': 'P03', 'switchboard.outcome': 'accepted' });
  const messageId = intake.attributes['switchboard.message.id'];
  t.regex(String(messageId), /^[0-9a-f-]{36}$/);
  const store = childOf(t, spans, intake, 'store write');
  t.is(store.attributes['switchboard.message.id'], messageId);
  const queued = childOf(t, spans, intake, 'queue deliveries');
  t.is(queued.kind, SPAN_KIND.producer);
  const attempt = childOf(t, spans, queued, 'delivery attempt');
  t.is(attempt.kind, SPAN_KIND.consumer);
  t.like(attempt.attributes, {
    'switchboard.message.id': messageId,
    'switchboard.destination.id': 'erp',
    'switchboard.delivery.attempt': 1,
    'switchboard.outcome': 'delivered',
  });
  t.not(attempt.resource['service.instance.id'], root.resource['service.instance.id'], 'delivered by the other process');
  t.is(root.resource['service.name'], 'switchboard-test');

  const sends = spans.filter((s) => s.name === 'send event' && s.parentSpanId === attempt.spanId);
  t.true(sends.length >= 3, `one send per ERP posting (three FT1 charges at least): ${sends.length}`);
  for (const s of sends) {
    t.is(s.kind, SPAN_KIND.client);
    t.is(s.attributes['http.response.status_code'], 201);
  }
  // The ERP received each posting with the traceparent of its send span: the trace continues there.
  const posted = erp.postings().filter((p) => p.idempotencyKey.startsWith(`${String(messageId)}:erp`));
  t.is(posted.length, sends.length);
  t.deepEqual(
    posted.map((p) => p.traceparent?.split('-').slice(1, 3).join('-')).sort(),
    sends.map((s) => `${s.traceId}-${s.spanId}`).sort(),
    'the traceparent the ERP received names its send span, in this trace',
  );
  t.true(
    spans.every((s) => s.traceId === root.traceId),
    'one trace id',
  );

  await flowStepsTraced(t, root.traceId, childOf(t, spans, intake, 'flow start'));
  const phi = pidValues(bytes.toString('utf8'));
  t.true(phi.includes('DOE') && phi.includes('19750412') && phi.includes('100234'), phi.join(' '));
  const said = spoken(collector.spans());
  for (const value of phi)
    t.false(
      said.some((s) => s.includes(value)),
      `no span says "${value}"`,
    );
});

test.serial('a FHIR Encounter: the request span continues the client trace, down to the ERP posting', async (t) => {
  if (!requireShared(t)) return;
  const encounter = await readFile(path.join(SHARED, 'fhir-samples', 'encounter-admit.json'), 'utf8');
  const clientTrace = 'a1'.repeat(16);
  const clientSpan = 'b2'.repeat(8);
  const answer = await fetch(`http://127.0.0.1:${ingest.httpPort}/fhir/ehr-fhir/Encounter`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${TOKEN}`,
      'content-type': 'application/fhir+json',
      traceparent: `00-${clientTrace}-${clientSpan}-01`,
    },
    body: encounter,
  });
  t.is(answer.status, 201, await answer.text());

  const spans = await deliveredTrace((s) => s.name === 'fhir request' && s.traceId === clientTrace, 1);
  const root = spans.find((s) => s.name === 'fhir request')!;
  t.is(root.parentSpanId, clientSpan, "a child of the client's span");
  t.is(root.attributes['http.response.status_code'], 201);
  const intake = childOf(t, spans, root, 'intake fhir');
  t.like(intake.attributes, { 'switchboard.fhir.resource_type': 'Encounter', 'switchboard.outcome': 'accepted' });
  childOf(t, spans, intake, 'store write');
  const attempt = childOf(t, spans, childOf(t, spans, intake, 'queue deliveries'), 'delivery attempt');
  const send = childOf(t, spans, attempt, 'send event');
  const request = erp.requests().find((r) => r.headers.traceparent?.includes(clientTrace));
  t.is(request?.headers.traceparent, `00-${clientTrace}-${send.spanId}-01`);
  const said = spoken(spans);
  for (const value of ['pat-100234', '100234', 'OR 01'])
    t.false(
      said.some((s) => s.includes(value)),
      `no span says "${value}"`,
    );
});
