import test from 'ava';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSecurityConfig } from '../../engine/config/security-config.ts';
import { AuthService } from '../../engine/security/auth-service.ts';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, testChannel, waitFor } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';
import { promtool } from '../support/promtool.ts';
import { withoutSampleValues } from '../support/metrics-text.ts';

const OPS = new URL('../../ops/', import.meta.url).pathname;

const adt = (id: string) =>
  `MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315083000||ADT^A01|${id}|P|2.5.1\r` +
  'EVN|A01|20260315083000\rPID|1||4711^^^GENHOSP^MR||ROEBUCK^RITA||19800101|F\r' +
  `PV1|1|I|4W${'|'.repeat(16)}V${id}\r`;
const dft = (id: string) =>
  `MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315083000||DFT^P03|${id}|P|2.5.1\r` +
  `EVN|P03|20260315083000\rPID|1||4711^^^GENHOSP^MR||ROEBUCK^RITA\rPV1|1|O${'|'.repeat(17)}V${id}\r` +
  'FT1|1|||20260315083000||CG|99213^OFFICE VISIT^CPT|||1|125.5^USD||CLIN01^CLINIC\r';
const orm = (id: string) => `MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315083000||ORM^O01|${id}|P|2.5.1\rPID|1||4711^^^GENHOSP^MR\r`;

/** The value of the sample `name{labels}` in a scrape (labels written in the exposition's order). */
function sample(text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

test('promtool: the shipped alerting rules are valid and their unit tests pass', async (t) => {
  const checked = await promtool(['check', 'rules', 'prometheus-rules.yml'], undefined, OPS);
  t.is(checked.code, 0, checked.output);
  t.regex(checked.output, /SUCCESS: 10 rules found/);
  const tested = await promtool(['test', 'rules', 'prometheus-rules.test.yml'], undefined, OPS);
  t.is(tested.code, 0, tested.output);
});

/** The PromQL of every panel of the shipped dashboard, Grafana's variables given values. */
async function dashboardQueries(): Promise<string[]> {
  const dashboard = JSON.parse(await readFile(`${OPS}grafana-dashboard.json`, 'utf8')) as {
    panels: { targets?: { expr: string }[] }[];
  };
  return dashboard.panels
    .flatMap((p) => p.targets ?? [])
    .map((t) => t.expr.replaceAll('$__rate_interval', '5m').replaceAll('$channel', '.*'));
}

test('promtool: every query of the Grafana dashboard is valid PromQL', async (t) => {
  const queries = await dashboardQueries();
  t.true(queries.length >= 20);
  const rules = { groups: [{ name: 'dashboard', rules: queries.map((expr, i) => ({ record: `dashboard:query${i}`, expr })) }] };
  const dir = await mkdtemp(join(tmpdir(), 'sb-dashboard-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  // JSON is YAML: the queries as recording rules, which promtool parses.
  await writeFile(join(dir, 'queries.yml'), JSON.stringify(rules));
  const checked = await promtool(['check', 'rules', 'queries.yml'], undefined, dir);
  t.is(checked.code, 0, checked.output);
});

test('after traffic, /metrics counts intake, ACKs, deliveries, queues, the store and charges, passes promtool, holds no PHI', async (t) => {
  const erp = await startErpSimulator();
  t.teardown(() => erp.close());
  const sb = await startTestEngine({ channels: [testChannel({ erpUrl: erp.url, id: 'prom-mllp' })] });
  t.teardown(() => sb.close());
  const client = await MllpTestClient.connect(sb.mllpPort);
  t.is(field(await client.send(adt('PT1')), 'MSA', 1), 'AA');
  t.is(field(await client.send(dft('PT2')), 'MSA', 1), 'AA');
  t.is(field(await client.send(orm('PT3')), 'MSA', 1), 'AR');
  client.close();
  await waitFor('both delivered', async () => {
    const list = await sb.engine.store!.messages.list({ limit: 10 });
    return list.filter((m) => m.deliveries.erp?.status === 'delivered').length === 2;
  });

  const res = await sb.engine.http!.inject({ method: 'GET', url: '/metrics', headers: sb.adminHeaders });
  t.is(res.statusCode, 200);
  const text = res.body;
  const checked = await promtool(['check', 'metrics'], text);
  t.is(checked.code, 0, checked.output);

  const ch = 'channel="prom-mllp"';
  t.is(sample(text, 'switchboard_messages_received_total', `${ch},type="ADT^A01"`), 1);
  t.is(sample(text, 'switchboard_messages_accepted_total', `${ch},type="DFT^P03"`), 1);
  t.is(sample(text, 'switchboard_messages_rejected_total', `${ch},type="other",code="HL7_TYPE_NOT_ACCEPTED"`), 1);
  t.is(sample(text, 'switchboard_ack_latency_seconds_count', `${ch},ack="AA"`), 2);
  t.is(sample(text, 'switchboard_ack_latency_seconds_count', `${ch},ack="AR"`), 1);
  t.is(sample(text, 'switchboard_delivery_attempts_total', `${ch},destination="erp",outcome="delivered",code="none"`), 2);
  t.is(sample(text, 'switchboard_delivery_latency_seconds_count', `${ch},destination="erp"`), 2);
  t.true(sample(text, 'switchboard_queue_wait_seconds_count', 'queue="deliver.prom-mllp.erp"')! >= 1);
  t.true(sample(text, 'switchboard_store_call_duration_seconds_count', 'operation="messages.insertContent",outcome="ok"')! >= 3);
  const storeCalls = (operation: string) =>
    sample(text, 'switchboard_store_call_duration_seconds_count', `operation="${operation}",outcome="ok"`) ?? 0;
  t.true(storeCalls('deliveries.updateAndSettle') + storeCalls('deliveries.updateReturning') >= 2, 'the final delivery writes');
  t.is(sample(text, 'switchboard_charges_posted_total', `${ch},destination="erp",transaction_type="CG"`), 1);
  t.is(sample(text, 'switchboard_charges_amount_total', `${ch},destination="erp",transaction_type="CG",currency="USD"`), 125.5);
  const exposed = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
  const rules = (await readFile(`${OPS}prometheus-rules.yml`, 'utf8'))
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n');
  const used = [...(await dashboardQueries()), rules].flatMap((q) => [...q.matchAll(/\bswitchboard_[a-z0-9_]+/g)].map((m) => m[0]));
  for (const name of new Set(used.map((n) => n.replace(/_(bucket|sum|count)$/, ''))))
    t.true(exposed.has(name), `${name}, charted or alerted on, is served`);
  const withoutValues = withoutSampleValues(text);
  for (const phi of ['ROEBUCK', 'RITA', '4711', '19800101', 'PT1', 'VPT2', '99213', 'ORM']) t.false(withoutValues.includes(phi), phi);
});

test('a worker serves its own counters on METRICS_PORT (no admin API) to a monitor token; promtool accepts them', async (t) => {
  const sb = await startTestEngine({
    channels: [testChannel({ erpUrl: 'http://127.0.0.1:9', id: 'prom-worker' })],
    config: { SWITCHBOARD_ROLE: 'worker', METRICS_PORT: 0 },
  });
  t.teardown(() => sb.close());
  t.is(sb.engine.http, undefined);
  const metrics = sb.addresses.metrics!;
  t.is(metrics.host, '127.0.0.1');
  const base = `http://127.0.0.1:${metrics.port}`;
  const { store, audit } = sb.engine;
  const auth = new AuthService({ store: store!, audit: audit!, config: loadSecurityConfig({}), announce: () => undefined });
  const password = 'correct horse battery staple';
  await auth.createUser({ username: 'prometheus', password, role: 'monitor', channels: '*', phi: false }, 'tests');
  await auth.createUser({ username: 'vera', password, role: 'viewer', channels: '*', phi: false }, 'tests');
  const bearer = async (user: string) => ({ authorization: `Bearer ${(await auth.createApiToken(user, 'scraper')).token}` });
  t.is((await fetch(`${base}/metrics`)).status, 401);
  t.is((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer sb_nonsense' } })).status, 401);
  t.is((await fetch(`${base}/metrics`, { headers: await bearer('vera') })).status, 403, 'a viewer may not read metrics');
  const res = await fetch(`${base}/metrics`, { headers: await bearer('prometheus') });
  t.is(res.status, 200);
  t.is(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  const text = await res.text();
  t.regex(text, /^# TYPE switchboard_delivery_attempts_total counter$/m);
  t.regex(text, /^# TYPE process_cpu_seconds_total counter$/m);
  t.notRegex(text, /switchboard_queue_jobs/, 'deployment-wide gauges are the admin servers’ only');
  const checked = await promtool(['check', 'metrics'], text);
  t.is(checked.code, 0, checked.output);
  t.is((await fetch(`${base}/api/messages`)).status, 404);
  t.is((await fetch(`${base}/metrics`, { method: 'POST' })).status, 405);
  t.is((await fetch(`${base}/metrics`, { method: 'HEAD', headers: await bearer('prometheus') })).status, 200);
});
