import test from 'ava';
import net from 'node:net';
import { Writable } from 'node:stream';
import { createLogger } from '../../engine/log.ts';
import { trace } from '@opentelemetry/api';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { startOtlpCollector } from '../../peers/otlp-collector.ts';
import { tracingOn } from '../../engine/ops/tracing/spans.ts';
import { startTestEngine, testChannel, waitFor } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';

// Spans are exported (here: tried) within a few hundred milliseconds (read by the SDK when the engine starts tracing).
process.env.OTEL_BSP_SCHEDULE_DELAY = '200';

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

test.serial('an unreachable collector: intake and delivery as without it, one warning, and the engine still stops', async (t) => {
  // A port that was free a moment ago: nothing listens there.
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  const erp = await startErpSimulator();
  const lines: string[] = [];
  const stream = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString('utf8')), done()) });
  const sb = await startTestEngine({
    channels: [testChannel({ erpUrl: erp.url })],
    config: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, SHUTDOWN_GRACE_MS: 1000 },
    log: createLogger({ level: 'info', stream }),
  });
  t.teardown(async () => (await sb.close(), await erp.close()));
  t.true(tracingOn());
  const client = await MllpTestClient.connect(sb.mllpPort);
  t.is(field(await client.send(dft('OFF2')), 'MSA', 1), 'AA');
  client.close();
  await waitFor('the charge posted', () => erp.postings().length === 1);
  t.regex(erp.postings()[0]!.traceparent ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/, 'the peer still gets the trace context');
  const warnings = () => lines.filter((l) => l.includes('spans not exported'));
  const warned = await waitFor('a warning that spans are not exported', () => (warnings().length > 0 ? warnings() : undefined));
  t.is(warned.length, 1, 'once (at most once a minute)');
  t.regex(warned[0]!, /ECONNREFUSED/);
  // The bound on the flush at shutdown (SHUTDOWN_GRACE_MS) lets close() end although the collector never answers.
  await sb.close();
  t.false(tracingOn(), 'off once the engine stopped');
  t.false(trace.getTracer('probe').startSpan('probe').isRecording(), 'the provider is unregistered');
});
