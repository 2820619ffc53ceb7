import test from 'ava';
import net from 'node:net';
import { trace } from '@opentelemetry/api';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { startOtlpCollector } from '../../peers/otlp-collector.ts';
import { tracingOn } from '../../engine/ops/tracing/spans.ts';
import { startTestEngine, testChannel, waitFor } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';

/*
 * Tracing off (issue 25, part 3): without OTEL_EXPORTER_OTLP_ENDPOINT the engine registers no tracer
 * provider, sends nothing anywhere, and its messages, jobs and requests carry no trace context. And
 * with a collector that is not there, the engine works the same and still stops within its grace.
 */

const dft = (id: string) =>
  `MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315083000||DFT^P03|${id}|P|2.5.1\r` +
  `PID|1||${id}77^^^GENHOSP^MR||ROE^RICHARD\r` +
  `PV1|1|O${'|'.repeat(17)}V${id}\r` +
  'FT1|1|||20260315083000||CG|99213^OFFICE VISIT^CPT|||1|120.00^USD\r';

test.serial('off: no tracer provider, nothing exported, no trace context in the record or to the ERP; the engine delivers', async (t) => {
  const collector = await startOtlpCollector();
  const erp = await startErpSimulator();
  const sb = await startTestEngine({ channels: [testChannel({ erpUrl: erp.url })] });
  t.teardown(async () => (await sb.close(), await erp.close(), await collector.close()));
  t.false(tracingOn(), 'the engine makes no spans');
  const probe = trace.getTracer('probe').startSpan('probe');
  t.false(probe.isRecording(), "the API's tracer is the no-op one: no provider registered");
  t.is(probe.spanContext().traceId, '0'.repeat(32));

  const client = await MllpTestClient.connect(sb.mllpPort);
  const ack = await client.send(dft('OFF1'));
  client.close();
  t.is(field(ack, 'MSA', 1), 'AA');
  await waitFor('the charge posted', () => erp.postings().length === 1);
  t.is(erp.requests()[0]!.headers.traceparent, undefined, 'no traceparent to the peer');
  t.is(erp.requests()[0]!.headers.tracestate, undefined);
  const [listed] = await sb.engine.store!.messages.list({ controlId: 'OFF1', limit: 1 });
  const stored = await sb.engine.store!.messages.get(listed!._id);
  t.is(stored?.traceparent, undefined, 'no trace context stored');
  t.is(collector.requests(), 0, 'nothing sent to any collector');
});

test.serial(
  'a collector that is not there: the engine answers and delivers as without tracing, and still stops (its flush is bounded)',
  async (t) => {
    // A port that was free a moment ago: nothing listens there.
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise((resolve) => server.close(resolve));
    const erp = await startErpSimulator();
    const sb = await startTestEngine({
      channels: [testChannel({ erpUrl: erp.url })],
      config: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, SHUTDOWN_GRACE_MS: 1000 },
    });
    t.teardown(() => erp.close());
    t.true(tracingOn());
    const client = await MllpTestClient.connect(sb.mllpPort);
    t.is(field(await client.send(dft('OFF2')), 'MSA', 1), 'AA');
    client.close();
    await waitFor('the charge posted', () => erp.postings().length === 1);
    t.regex(erp.postings()[0]!.traceparent ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/, 'the peer still gets the trace context');
    await sb.close();
    t.false(tracingOn(), 'off once the engine stopped');
    t.false(trace.getTracer('probe').startSpan('probe').isRecording(), 'the provider is unregistered');
  },
);
