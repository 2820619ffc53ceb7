import test from 'ava';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { startOtlpCollector } from '../../peers/otlp-collector.ts';
import { startTestEngine, testChannel, waitFor } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';
import { withoutGeneratedIds } from '../support/generated-text.ts';

// Spans reach the receiver within a few hundred milliseconds (read by the SDK when the engine starts tracing).
process.env.OTEL_BSP_SCHEDULE_DELAY = '200';

const adt = (id: string) =>
  `MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315083000||ADT^A04|${id}|P|2.5.1\r` +
  `PID|1||${id}55^^^GENHOSP^MR||POE^EDGAR||19090119|M|||1 Amity St^^Boston^MA^02116\r` +
  `PV1|1|O${'|'.repeat(17)}V${id}\r`;

test('a dead delivery ends its trace with its code and HTTP status; its replay is a trace of its own, linked to the message', async (t) => {
  const collector = await startOtlpCollector();
  const erp = await startErpSimulator();
  erp.setBehaviour({ mode: 'fail', status: 400, times: -1, body: { error: 'facility code missing' } });
  const sb = await startTestEngine({
    channels: [testChannel({ erpUrl: erp.url })],
    config: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url },
  });
  t.teardown(async () => (await sb.close(), await erp.close(), await collector.close()));
  const client = await MllpTestClient.connect(sb.mllpPort);
  t.is(field(await client.send(adt('TR1')), 'MSA', 1), 'AA');
  client.close();

  const dead = await waitFor('the attempt dead', () =>
    collector.spans().find((s) => s.name === 'delivery attempt' && s.attributes['switchboard.outcome'] === 'dead'),
  );
  t.is(dead.attributes['switchboard.error.code'], 'PEER_REJECTED');
  t.is(dead.status.message, 'PEER_REJECTED', 'the code is the only status text');
  const send = collector.spans().find((s) => s.name === 'send event' && s.parentSpanId === dead.spanId);
  t.like(send?.attributes, { 'http.response.status_code': 400, 'switchboard.outcome': 'failed' });
  const intake = collector.spans().find((s) => s.name === 'intake hl7' && s.traceId === dead.traceId)!;
  const messageId = String(intake.attributes['switchboard.message.id']);
  const stored = await sb.engine.store!.messages.get(messageId);
  t.is(stored?.traceparent, `00-${intake.traceId}-${intake.spanId}-01`, "the record keeps its intake span's context");

  erp.setBehaviour({ mode: 'ok' });
  const replay = await sb.engine.http!.inject({
    method: 'POST',
    url: '/api/replays',
    headers: sb.adminHeaders,
    payload: { filter: { destination: 'erp' }, reason: 'facility added at the ERP', dryRun: false },
  });
  t.is(replay.statusCode, 202, replay.body);
  const replayed = await waitFor('the replayed attempt delivered', () =>
    collector.spans().find((s) => s.name === 'delivery attempt' && s.attributes['switchboard.outcome'] === 'delivered'),
  );
  t.is(replayed.attributes['switchboard.replay.id'], replay.json().replayId);
  t.not(replayed.traceId, intake.traceId, 'a trace of its own');
  t.falsy(replayed.parentSpanId);
  t.deepEqual(
    replayed.links.map((l) => [l.traceId, l.spanId]),
    [[intake.traceId, intake.spanId]],
    "linked to the message's intake span",
  );
  const replayedSend = collector.spans().find((s) => s.name === 'send event' && s.parentSpanId === replayed.spanId)!;
  t.is(erp.postings()[0]?.traceparent, `00-${replayed.traceId}-${replayedSend.spanId}-01`);
  for (const value of ['POE', 'EDGAR', 'TR155', '19090119', 'Amity', 'Boston', '02116'])
    t.false(
      collector
        .spans()
        .some((s) => withoutGeneratedIds(JSON.stringify([s.attributes, s.events, s.links, s.status, s.resource])).includes(value)),
      `no span says "${value}"`,
    );
});
