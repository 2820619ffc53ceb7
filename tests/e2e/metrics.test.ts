import test from 'ava';
import { ErrorCatalog } from '../../engine/errors.ts';
import { PrometheusText } from '../../engine/metrics/prometheus-text.ts';
import { QUEUE_STATES } from '../../engine/metrics/queue-metrics.ts';
import { MessageStatus } from '../../engine/store/states.ts';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, testChannel, waitFor, type TestEngine } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';
import { createUser, signIn, userSession } from '../support/users.ts';
import { withoutSampleValues } from '../support/metrics-text.ts';

const adt = (id: string) =>
  `MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315083000||ADT^A01|${id}|P|2.5.1\r` +
  'EVN|A01|20260315083000\rPID|1||4711^^^GENHOSP^MR||ROEBUCK^RITA||19800101|F\r' +
  `PV1|1|I|4W${'|'.repeat(16)}V${id}\r`;
const orm = 'MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315083000||ORM^O01|MX9|P|2.5.1\rPID|1||4711^^^GENHOSP^MR||ROEBUCK^RITA\r';

interface Exposition {
  types: Map<string, string>;
  samples: { name: string; labels: Record<string, string>; value: number }[];
}

/** Parses the text format strictly: HELP then TYPE before a family's samples, well-formed sample lines, a final newline. */
function parseExposition(text: string): Exposition {
  if (!text.endsWith('\n')) throw new Error('no final newline');
  const types = new Map<string, string>();
  const samples: Exposition['samples'] = [];
  let help: string | undefined;
  for (const line of text.slice(0, -1).split('\n')) {
    const h = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+$/.exec(line);
    const t = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram)$/.exec(line);
    const s = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*)\})? (-?[0-9.e+-]+|NaN|[+-]Inf)$/.exec(
      line,
    );
    if (h) help = h[1];
    else if (t) {
      if (help !== t[1] || types.has(t[1]!)) throw new Error(`TYPE without its HELP, or twice: ${line}`);
      types.set(t[1]!, t[2]!);
    } else if (s) {
      const family = types.has(s[1]!) ? s[1]! : s[1]!.replace(/_(bucket|sum|count)$/, '');
      if (types.get(family) === undefined || (family !== s[1] && types.get(family) !== 'histogram'))
        throw new Error(`sample before its TYPE: ${line}`);
      const labels = Object.fromEntries(
        [...(s[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]),
      );
      samples.push({ name: s[1]!, labels, value: Number(s[3]) });
    } else throw new Error(`not a line of the text format: ${line}`);
  }
  return { types, samples };
}

const value = (e: Exposition, name: string, labels: Record<string, string> = {}) =>
  e.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

/** Signs in as a new `monitor` user and makes the API token a Prometheus scraper would hold. */
async function scraperToken(sb: TestEngine): Promise<{ authorization: string }> {
  await createUser(sb, { username: 'prometheus', role: 'monitor' });
  const res = await sb.engine.http!.inject({
    method: 'POST',
    url: '/api/tokens',
    headers: await signIn(sb, 'prometheus'),
    payload: { name: 'scraper' },
  });
  return { authorization: `Bearer ${res.json().token}` };
}

test('the text writer escapes label values and refuses bad names', (t) => {
  const text = new PrometheusText().gauge('x_total_things', 'a\\b\nc', [{ labels: { l: 'q"\\\n' }, value: 1 }]).toString();
  t.is(text, '# HELP x_total_things a\\\\b\\nc\n# TYPE x_total_things gauge\nx_total_things{l="q\\"\\\\\\n"} 1\n');
  t.throws(() => new PrometheusText().gauge('bad-name', 'h', []));
  t.throws(() => new PrometheusText().gauge('g', 'h', [{ labels: { __reserved: 'x' }, value: 1 }]));
  t.throws(() => new PrometheusText().counter('no_suffix', 'h', []));
});

test(
  'queued work: waiting jobs and their age, messages by channel and ' + 'status, for a monitor token only; no patient data in any label',
  async (t) => {
    // Ingest only: no workers, so the deliveries stay waiting in the queue.
    const sb = await startTestEngine({ channels: [testChannel({ erpUrl: 'http://127.0.0.1:9' })], config: { SWITCHBOARD_ROLE: 'ingest' } });
    t.teardown(() => sb.close());
    const sentFrom = Date.now();
    const client = await MllpTestClient.connect(sb.mllpPort);
    for (const id of ['MQ1', 'MQ2']) t.is(field(await client.send(adt(id)), 'MSA', 1), 'AA');
    t.is(field(await client.send(orm), 'MSA', 1), 'AR');
    client.close();

    const scraper = await scraperToken(sb);
    const res = await sb.engine.http!.inject({ method: 'GET', url: '/metrics', headers: scraper });
    t.is(res.statusCode, 200);
    t.is(res.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    const e = parseExposition(res.body);
    t.is(value(e, 'switchboard_queue_jobs', { channel: 'ehr-mllp', destination: 'erp', state: 'waiting' }), 2);
    t.is(value(e, 'switchboard_queue_jobs', { channel: 'ehr-mllp', destination: 'erp', state: 'active' }), 0);
    const age = value(e, 'switchboard_queue_oldest_waiting_seconds', { channel: 'ehr-mllp', destination: 'erp' })!;
    t.true(age >= 0 && age <= (Date.now() - sentFrom) / 1000, `oldest waiting ${age} s`);
    const byStatus = e.samples.filter((s) => s.name === 'switchboard_messages_last_5m' && s.labels.channel === 'ehr-mllp');
    t.deepEqual(byStatus.map((s) => s.labels.status).sort(), Object.values(MessageStatus).sort(), 'every status, zeros included');
    t.is(
      byStatus.reduce((n, s) => n + s.value, 0),
      3,
    );
    t.is(value(e, 'switchboard_messages_last_5m', { channel: 'ehr-mllp', status: 'rejected' }), 1);
    t.is(value(e, 'switchboard_metrics_source_up', { source: 'store' }), 1);
    t.is(value(e, 'switchboard_metrics_source_up', { source: 'queues' }), 1);
    t.true(value(e, 'process_resident_memory_bytes')! > 0);
    t.is(e.types.get('process_cpu_seconds_total'), 'counter');
    t.true(value(e, 'nodejs_eventloop_lag_max_seconds')! >= 0);

    // Every label value is a configured id or a catalog name.
    const allowed = new Set([
      'ehr-mllp',
      'erp',
      'store',
      'queues',
      ...Object.values(MessageStatus),
      ...QUEUE_STATES,
      ...Object.keys(ErrorCatalog),
      'UNKNOWN',
      // The in-process counters (shared by this file's tests): types, ACK codes, outcomes, queues, store operations.
      ...['ADT^A01', 'other', 'AA', 'AE', 'AR', 'delivered', 'retrying', 'dead', 'none', 'deliver.ehr-mllp.erp', 'ok', 'failed'],
    ]);
    const bucketOrOperation = (k: string, v: string) =>
      (k === 'le' && (v === '+Inf' || !Number.isNaN(Number(v)))) || (k === 'operation' && /^[a-zA-Z]+\.[A-Za-z]+$/.test(v));
    for (const s of e.samples)
      for (const [k, v] of Object.entries(s.labels)) t.true(allowed.has(v) || bucketOrOperation(k, v), `label value ${v} of ${s.name}`);
    const withoutValues = withoutSampleValues(res.body);
    for (const phi of ['ROEBUCK', 'RITA', '4711', '19800101', 'MQ1']) t.false(withoutValues.includes(phi), phi);

    t.is((await sb.engine.http!.inject({ method: 'GET', url: '/metrics' })).statusCode, 401);
    t.is(
      (
        await sb.engine.http!.inject({
          method: 'GET',
          url: '/metrics',
          headers: await userSession(sb, { username: 'vera', role: 'viewer' }),
        })
      ).statusCode,
      403,
    );
    t.is((await sb.engine.http!.inject({ method: 'GET', url: '/metrics', headers: sb.adminHeaders })).statusCode, 200);
    // The scraper's token reads nothing else.
    t.is((await sb.engine.http!.inject({ method: 'GET', url: '/api/messages', headers: scraper })).statusCode, 403);
    t.is((await sb.engine.http!.inject({ method: 'GET', url: '/api/metrics/summary', headers: scraper })).statusCode, 403);
  },
);

test(
  'the dashboard summary: messages per minute and errors per channel, ' +
    'queue depth and oldest age per destination, within the caller’s scope',
  async (t) => {
    const sb = await startTestEngine({ channels: [testChannel({ erpUrl: 'http://127.0.0.1:9' })], config: { SWITCHBOARD_ROLE: 'ingest' } });
    t.teardown(() => sb.close());
    const client = await MllpTestClient.connect(sb.mllpPort);
    for (const id of ['SQ1', 'SQ2']) t.is(field(await client.send(adt(id)), 'MSA', 1), 'AA');
    t.is(field(await client.send(orm), 'MSA', 1), 'AR');
    client.close();

    const viewer = await userSession(sb, { username: 'vic', role: 'viewer' });
    const res = await sb.engine.http!.inject({ method: 'GET', url: '/api/metrics/summary?minutes=5', headers: viewer });
    t.is(res.statusCode, 200);
    const summary = res.json();
    t.is(summary.minutes, 5);
    const [channel] = summary.channels;
    t.is(channel.channelId, 'ehr-mllp');
    t.is(channel.perMinute.length, 5);
    const ats = channel.perMinute.map((m: { at: string }) => Date.parse(m.at));
    t.true(
      ats.every((at: number, i: number) => at % 60_000 === 0 && (i === 0 || at - ats[i - 1] === 60_000)),
      'whole minutes, oldest first',
    );
    t.is(
      channel.perMinute.reduce((n: number, m: { received: number }) => n + m.received, 0),
      3,
    );
    t.is(
      channel.perMinute.reduce((n: number, m: { errors: number }) => n + m.errors, 0),
      1,
      'the rejected one',
    );
    t.is(channel.byStatus.rejected, 1);
    t.deepEqual(
      summary.destinations.map((d: { destinationId: string; channelId: string; jobs: { waiting: number }; dead: number }) => [
        d.destinationId,
        d.channelId,
        d.jobs.waiting,
        d.dead,
      ]),
      [['erp', 'ehr-mllp', 2, 0]],
    );
    t.true(summary.destinations[0].oldestWaitingSeconds >= 0);

    const elsewhere = await userSession(sb, { username: 'lab-only', role: 'viewer', channels: ['lab-results'] });
    const scoped = (await sb.engine.http!.inject({ method: 'GET', url: '/api/metrics/summary', headers: elsewhere })).json();
    t.deepEqual([scoped.channels, scoped.destinations], [[], []], 'nothing of a channel outside the scope');
    t.is((await sb.engine.http!.inject({ method: 'GET', url: '/api/metrics/summary?minutes=61', headers: viewer })).statusCode, 400);
  },
);

test('failing deliveries by destination and error code: dead (ERP 400) and retrying (ERP 503)', async (t) => {
  const erp = await startErpSimulator();
  t.teardown(() => erp.close());
  erp.rejectMatching('VFD1');
  erp.setBehaviour({ mode: 'fail', status: 503, times: -1, match: 'VFD2' });
  const sb = await startTestEngine({
    channels: [testChannel({ erpUrl: erp.url, retry: { attempts: 5, initialDelayMs: 60_000, maxDelayMs: 60_000 } })],
  });
  t.teardown(() => sb.close());
  const client = await MllpTestClient.connect(sb.mllpPort);
  for (const id of ['FD1', 'FD2', 'FD3']) t.is(field(await client.send(adt(id)), 'MSA', 1), 'AA');
  client.close();
  await waitFor('one dead, one retrying, one delivered', async () => {
    const statuses = (await sb.engine.store!.messages.list({ limit: 10 })).map((m) => m.deliveries.erp?.status).sort();
    return statuses.join() === 'dead,delivered,retrying';
  });

  const e = parseExposition((await sb.engine.http!.inject({ method: 'GET', url: '/metrics', headers: sb.adminHeaders })).body);
  t.deepEqual(
    e.samples.filter((s) => s.name === 'switchboard_deliveries_dead'),
    [{ name: 'switchboard_deliveries_dead', labels: { channel: 'ehr-mllp', destination: 'erp', code: 'PEER_REJECTED' }, value: 1 }],
  );
  t.deepEqual(
    e.samples.filter((s) => s.name === 'switchboard_deliveries_retrying'),
    [{ name: 'switchboard_deliveries_retrying', labels: { channel: 'ehr-mllp', destination: 'erp', code: 'PEER_UNAVAILABLE' }, value: 1 }],
  );
  const erpQueue = { channel: 'ehr-mllp', destination: 'erp' };
  t.is(value(e, 'switchboard_queue_jobs', { ...erpQueue, state: 'delayed' }), 1, 'the retry waits in the delayed set');
  t.is(value(e, 'switchboard_messages_last_5m', { channel: 'ehr-mllp', status: 'dead' }), 1);

  const summary = (await sb.engine.http!.inject({ method: 'GET', url: '/api/metrics/summary', headers: sb.adminHeaders })).json();
  t.like(summary.destinations[0], { destinationId: 'erp', dead: 1, retrying: 1 });
  t.deepEqual(summary.destinations[0].errors, [
    { status: 'dead', errorCode: 'PEER_REJECTED', count: 1 },
    { status: 'retrying', errorCode: 'PEER_UNAVAILABLE', count: 1 },
  ]);
});
