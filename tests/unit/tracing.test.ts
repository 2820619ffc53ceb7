import test from 'ava';
import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { guardAttributes, SpanAttribute } from '../../engine/ops/tracing/span-attributes.ts';
import { endSpan, setActiveTracer, SpanName, startSpan, tracingOn } from '../../engine/ops/tracing/spans.ts';
import { carrierFields, carrierOf, parentFrom, traceHeaders } from '../../engine/ops/tracing/trace-carrier.ts';
import { tracesUrl, unspokenProtocol } from '../../engine/ops/tracing/tracing-config.ts';
import { startWorkSpan } from '../../engine/ops/tracing/work-spans.ts';
import type { DeliveryJobData } from '../../engine/queue/queues.ts';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${SPAN_ID}-01`;

/** A tracer of its own provider (not the process's global), its spans kept in memory; off again after the test (serial tests only). */
function recording(t: import('ava').ExecutionContext) {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  setActiveTracer(provider.getTracer('test'));
  t.teardown(async () => (setActiveTracer(undefined), await provider.shutdown()));
  return exporter;
}

test('tracesUrl: the traces endpoint as given, else the base endpoint with /v1/traces, else off; only http/json is spoken', (t) => {
  t.is(
    tracesUrl({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/x', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://b:4318' }),
    'http://c:4318/x',
  );
  t.is(tracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://b:4318/' }), 'http://b:4318/v1/traces');
  t.is(tracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://b:4318/otel' }), 'http://b:4318/otel/v1/traces');
  t.is(tracesUrl({}), undefined);
  t.is(unspokenProtocol({}), undefined);
  t.is(unspokenProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }), undefined);
  t.is(unspokenProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' }), 'grpc');
  t.is(unspokenProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' }), 'http/protobuf');
});

test('a traceparent put in a job survives the trip: extracted as the remote parent with the same trace and span ids', (t) => {
  const job: DeliveryJobData = { messageId: 'm1', destinationId: 'erp', ...carrierFields({ traceparent: TRACEPARENT, tracestate: 'v=1' }) };
  const stored = JSON.parse(JSON.stringify(job)) as DeliveryJobData; // as Redis gives it back
  const parent = trace.getSpanContext(parentFrom(stored)!)!;
  t.is(parent.traceId, TRACE_ID);
  t.is(parent.spanId, SPAN_ID);
  t.true(parent.isRemote);
  t.is(parent.traceState?.get('v'), '1');
  t.deepEqual(
    carrierFields({ ...job, fresh: true } as DeliveryJobData),
    { traceparent: TRACEPARENT, tracestate: 'v=1' },
    'only the carrier',
  );
  t.deepEqual(carrierFields({ messageId: 'm1' } as DeliveryJobData), {}, 'a job without one');
});

test('an invalid or missing traceparent is no parent (ignored, never an error)', (t) => {
  for (const traceparent of [undefined, '', 'junk', `00-${'0'.repeat(32)}-${SPAN_ID}-01`, `00-${TRACE_ID}-${'0'.repeat(16)}-01`, 42]) {
    t.is(parentFrom({ traceparent } as Record<string, unknown>), undefined, String(traceparent));
  }
  t.is(parentFrom(undefined), undefined);
});

test.serial('inject: a recording span gives its traceparent (and the headers for HTTP peers); none or off gives nothing', (t) => {
  t.deepEqual(carrierOf(undefined), {});
  t.false(tracingOn());
  t.is(startSpan({ name: SpanName.intakeHl7 }), undefined, 'no span while off');
  recording(t);
  const span = startSpan({ name: SpanName.sendEvent })!;
  const { traceId, spanId } = span.spanContext();
  t.deepEqual(carrierOf(span), { traceparent: `00-${traceId}-${spanId}-01` });
  t.deepEqual(traceHeaders(span), { traceparent: `00-${traceId}-${spanId}-01` });
  t.is(trace.getSpanContext(parentFrom(carrierOf(span))!)!.spanId, spanId, 'round trip');
  span.end();
  t.deepEqual(carrierOf(span), { traceparent: `00-${traceId}-${spanId}-01` }, 'also once ended (a flow step queues the next after)');
});

test('guard: allowed keys with values of their shape pass; other keys and PHI-shaped values are dropped', (t) => {
  const kept = {
    [SpanAttribute.messageId]: '0195f3c2-7d4e-7a00-8000-123456789abc',
    [SpanAttribute.channelId]: 'ehr-mllp',
    [SpanAttribute.messageType]: 'DFT',
    [SpanAttribute.triggerEvent]: 'P03',
    [SpanAttribute.errorCode]: 'PEER_UNAVAILABLE',
    [SpanAttribute.attempt]: 2,
    [SpanAttribute.httpStatus]: 201,
    [SpanAttribute.flowInstanceId]: '0195f3c2-7d4e-7a00-8000-123456789abc:procedure:0',
    [SpanAttribute.ackCode]: 'AA',
  };
  t.deepEqual(guardAttributes(kept), kept);
  t.deepEqual(
    guardAttributes({
      'patient.name': 'DOE^JANE',
      mrn: '100234',
      [SpanAttribute.messageId]: 'DOE^JANE^MARIE',
      [SpanAttribute.channelId]: 'Jane Doe',
      [SpanAttribute.errorCode]: 'born 19750412 at 1 Main St',
      [SpanAttribute.messageType]: 'ADT A01 Doe',
      [SpanAttribute.attempt]: '2',
      [SpanAttribute.httpStatus]: 42,
      [SpanAttribute.outcome]: undefined,
    }),
    {},
  );
});

test.serial('spans carry only guarded attributes, also those set at the end; a failure ends with the code as its only status text', (t) => {
  const exporter = recording(t);
  const span = startSpan({ name: SpanName.storeWrite, attributes: { [SpanAttribute.messageId]: 'm-1' } });
  endSpan(span, {
    outcome: 'failed',
    errorCode: 'STORE_UNAVAILABLE',
    attributes: { [SpanAttribute.eventModel]: 'ChargeEvent', ...({ 'patient.name': 'DOE' } as object) },
  });
  const [done] = exporter.getFinishedSpans();
  t.deepEqual(done!.attributes, {
    [SpanAttribute.messageId]: 'm-1',
    [SpanAttribute.eventModel]: 'ChargeEvent',
    [SpanAttribute.outcome]: 'failed',
    [SpanAttribute.errorCode]: 'STORE_UNAVAILABLE',
  });
  t.is(done!.status.message, 'STORE_UNAVAILABLE');
  t.is(done!.events.length, 0, 'no exception events');
});

test.serial('a worker span: child of the job carrier; a replay round without one starts its own trace, linked to the message', (t) => {
  const exporter = recording(t);
  const stored = { traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01` };
  startWorkSpan({ name: SpanName.deliveryAttempt, job: { traceparent: TRACEPARENT }, stored, attributes: {} })!.end();
  startWorkSpan({ name: SpanName.deliveryAttempt, job: {}, stored, attributes: {} })!.end();
  startWorkSpan({ name: SpanName.deliveryAttempt, job: {}, stored, replayId: 'r1', attributes: {} })!.end();
  const [child, relayed, replayed] = exporter.getFinishedSpans();
  t.is(child!.spanContext().traceId, TRACE_ID);
  t.is(child!.parentSpanContext?.spanId, SPAN_ID);
  t.is(relayed!.spanContext().traceId, 'a'.repeat(32));
  t.is(relayed!.parentSpanContext?.spanId, 'b'.repeat(16));
  t.not(replayed!.spanContext().traceId, 'a'.repeat(32), 'a trace of its own');
  t.is(replayed!.parentSpanContext, undefined);
  t.deepEqual(
    replayed!.links.map((l) => l.context.spanId),
    ['b'.repeat(16)],
  );
  t.is(replayed!.attributes[SpanAttribute.replayId], 'r1');
});
