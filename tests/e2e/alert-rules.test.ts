import test from 'ava';
import type {
  AlertInstanceJson,
  AlertRuleBundle,
  AlertRuleDefinition,
  AlertRuleDeploymentJson,
  AlertRuleJson,
  AlertRuleVersionJson,
} from '../../engine/ops/alerts/alert-api-types.ts';
import { uniqueName } from '../../scripts/lib/unique-name.ts';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { makeTestPki } from '../support/certs.ts';
import { startTestEngine, testChannel, waitFor, type TestEngine } from '../support/harness.ts';
import { promtool } from '../support/promtool.ts';

type Reply = { statusCode: number; json: <T>() => T; body: string };

const call = (sb: TestEngine, method: 'GET' | 'POST', url: string, payload?: unknown): Promise<Reply> =>
  sb.engine.http!.inject({ method, url, headers: sb.adminHeaders, ...(payload === undefined ? {} : { payload: payload as object }) });

async function ok<T>(sb: TestEngine, method: 'GET' | 'POST', url: string, payload?: unknown): Promise<T> {
  const res = await call(sb, method, url, payload);
  if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
  return res.json<T>();
}

const backlog: AlertRuleDefinition = { id: 'backlog', kind: 'queue-depth', above: 100, forMs: 60_000 };

test('rules are versioned data: validate, save, versions, diff, deploy, disable, enable, export, import; all audited', async (t) => {
  const erp = await startErpSimulator({ port: 0 });
  const sb = await startTestEngine({ channels: [testChannel({ erpUrl: erp.url })] });
  t.teardown(async () => (await sb.close(), await erp.close()));

  const bad = await call(sb, 'POST', '/api/alert-rules', { ...backlog, above: -1, surprise: true });
  t.is(bad.statusCode, 400);
  t.deepEqual(
    bad
      .json<{ problems: { path: string }[] }>()
      .problems.map((p) => p.path)
      .sort(),
    ['/above', '/surprise'],
  );
  t.deepEqual(await ok(sb, 'POST', '/api/alert-rules/validate', { id: 'x', kind: 'nope' }), {
    valid: false,
    problems: [
      {
        path: '/kind',
        message:
          'must be one of queue-depth, oldest-waiting, error-rate, inactivity, destination-failing, flow-step-dead, ' +
          'certificate-expiry, replay-failed',
      },
    ],
  });

  const v1 = await call(sb, 'POST', '/api/alert-rules?comment=first', backlog);
  t.is(v1.statusCode, 201);
  t.like(v1.json<AlertRuleVersionJson>(), { id: 'backlog', version: 1, origin: 'console', author: 'admin', comment: 'first' });
  t.is((await call(sb, 'POST', '/api/alert-rules', backlog)).statusCode, 200, 'the same content makes no new version');
  t.is((await call(sb, 'POST', '/api/alert-rules', { ...backlog, above: 500 })).statusCode, 201);
  t.deepEqual(
    (await ok<{ items: AlertRuleVersionJson[] }>(sb, 'GET', '/api/alert-rules/backlog/versions')).items.map((v) => v.version),
    [2, 1],
  );
  t.deepEqual((await ok<{ changes: unknown[] }>(sb, 'GET', '/api/alert-rules/backlog/diff?from=1&to=2')).changes, [
    { path: '/above', from: 100, to: 500 },
  ]);
  t.like(await ok<AlertRuleJson>(sb, 'GET', '/api/alert-rules/backlog?version=1'), {
    version: 1,
    kind: 'queue-depth',
    definition: backlog,
    deployment: { state: 'undeployed', version: null },
  });

  t.is((await call(sb, 'POST', '/api/alert-rules/backlog/enable')).statusCode, 409, 'never deployed');
  t.is((await call(sb, 'POST', '/api/alert-rules/backlog/deploy', { version: 9 })).statusCode, 404);
  t.like(await ok<AlertRuleDeploymentJson>(sb, 'POST', '/api/alert-rules/backlog/deploy', { version: 1 }), {
    state: 'enabled',
    version: 1,
  });
  t.like(await ok<AlertRuleDeploymentJson>(sb, 'POST', '/api/alert-rules/backlog/disable'), { state: 'disabled', version: 1 });
  t.like(await ok<AlertRuleDeploymentJson>(sb, 'POST', '/api/alert-rules/backlog/enable'), { state: 'enabled', version: 1 });
  const listed = (await ok<{ items: AlertRuleJson[] }>(sb, 'GET', '/api/alert-rules')).items;
  t.deepEqual(
    listed.map((r) => [r.id, r.version, r.deployment.state, r.deployment.version]),
    [['backlog', 2, 'enabled', 1]],
    'the latest version, and the one deployed',
  );

  const bundle = await ok<AlertRuleBundle>(sb, 'GET', '/api/alert-rules/export');
  t.deepEqual(bundle, { format: 'switchboard-alert-rules', version: 1, rules: [{ ...backlog, above: 500 }] });
  const invalid = await call(sb, 'POST', '/api/alert-rules/import', {
    ...bundle,
    rules: [
      { ...backlog, id: 'copy' },
      { id: 'broken', kind: 'queue-depth' },
    ],
  });
  t.is(invalid.statusCode, 400);
  t.deepEqual(
    invalid.json<{ problems: { path: string }[] }>().problems.map((p) => p.path),
    ['/rules/1/above'],
  );
  t.is((await call(sb, 'GET', '/api/alert-rules/copy')).statusCode, 404, 'nothing imported when one rule is invalid');
  const imported = await ok<{ items: { id: string; version: number }[] }>(sb, 'POST', '/api/alert-rules/import', {
    ...bundle,
    rules: [{ ...backlog, id: 'copy' }],
  });
  t.deepEqual(imported.items, [{ id: 'copy', version: 1, created: true }]);
  const again = await ok<{ items: unknown[] }>(sb, 'POST', '/api/alert-rules/import', { ...bundle, rules: [{ ...backlog, id: 'copy' }] });
  t.deepEqual(again.items, [{ id: 'copy', version: 1, created: false }], 'the same rule again: no new version, and said so');
  t.is((await ok<AlertRuleJson>(sb, 'GET', '/api/alert-rules/copy')).origin, 'import');

  const audit = (await ok<{ items: { target: string; actor: string }[] }>(sb, 'GET', '/api/audit?action=config.change')).items;
  const targets = audit.filter((e) => e.target.startsWith('alert-rule:')).map((e) => e.target);
  for (const target of ['alert-rule:backlog@1', 'alert-rule:backlog@2', 'alert-rule:backlog', 'alert-rule:copy@1'])
    t.true(targets.includes(target), `${target} audited`);
  t.is(targets.filter((x) => x === 'alert-rule:backlog').length, 3, 'deploy, disable, enable');
});

test('rule files of alerts/ are imported at start when they change; an unchanged file leaves console edits alone', async (t) => {
  const erp = await startErpSimulator({ port: 0 });
  t.teardown(() => erp.close());
  const dbName = uniqueName('sbtest');
  const prefix = uniqueName('sbq');
  const start = (alertRules: AlertRuleDefinition[]) =>
    startTestEngine({ channels: [testChannel({ erpUrl: erp.url })], dbName, prefix, alertRules });

  let sb = await start([backlog]);
  t.like(await ok<AlertRuleJson>(sb, 'GET', '/api/alert-rules/backlog'), {
    version: 1,
    origin: 'file',
    deployment: { state: 'enabled', version: 1 },
  });
  await ok(sb, 'POST', '/api/alert-rules', { ...backlog, above: 7 });
  await ok(sb, 'POST', '/api/alert-rules/backlog/deploy', {});
  await sb.close();

  sb = await start([backlog]);
  t.like(await ok<AlertRuleJson>(sb, 'GET', '/api/alert-rules/backlog'), {
    version: 2,
    origin: 'console',
    deployment: { state: 'enabled', version: 2 },
  });
  await sb.close();

  sb = await start([{ ...backlog, above: 42 }]);
  t.teardown(() => sb.close());
  t.like(await ok<AlertRuleJson>(sb, 'GET', '/api/alert-rules/backlog'), {
    version: 3,
    origin: 'file',
    definition: { above: 42 },
    deployment: { version: 3 },
  });

  await t.throwsAsync(
    startTestEngine({ channels: [testChannel({ erpUrl: erp.url })], alertRules: [{ ...backlog, above: -3 }] }),
    { message: /alert rule backlog\/above/ },
    'an invalid file stops the start, naming the rule and setting',
  );
});

// Serial, so it runs before the other tests of this file: the expiries /metrics shows are this
// process's (one engine per process in production), and another test's engine starting meanwhile
// would set them to its own certificates (none).
test.serial(
  'certificates: /metrics has the seconds until each expires (ids, never names); a rule fires for those within its days',
  async (t) => {
    const pki = makeTestPki();
    const erp = await startErpSimulator({ port: 0 });
    const channel = testChannel({ erpUrl: erp.url, id: 'tls-adt' });
    const sb = await startTestEngine({
      channels: [{ ...channel, source: { ...channel.source, tls: { certFile: pki.server.certFile, keyFile: pki.server.keyFile } } }],
      security: { HTTPS_CERT_FILE: pki.server.certFile, HTTPS_KEY_FILE: pki.server.keyFile },
      config: { ALERT_EVAL_INTERVAL_MS: 200 },
      alertRules: [{ id: 'certs', kind: 'certificate-expiry', withinDays: 21 }],
    });
    t.teardown(async () => (await sb.close(), await erp.close()));

    const scrape = (await call(sb, 'GET', '/metrics')).body;
    const checked = await promtool(['check', 'metrics'], scrape);
    t.is(checked.code, 0, checked.output);
    const lines = scrape.split('\n').filter((l) => l.startsWith('switchboard_tls_certificate_expiry_seconds{'));
    const seconds = (labels: string) =>
      Number(lines.find((l) => l.startsWith(`switchboard_tls_certificate_expiry_seconds{${labels}} `))?.split(' ')[1]);
    for (const labels of ['role="mllp-source",source="tls-adt"', 'role="https-server",source="admin"']) {
      const s = seconds(labels);
      t.true(s > 86_400 && s <= 2 * 86_400, `${labels}: ${s}`);
    }
    t.is(lines.length, 2);
    t.false(
      lines.some((l) => l.includes('CN=') || l.includes('localhost')),
      'no subject names in labels',
    );
    t.regex(scrape, /^switchboard_replays_failed_total 0$/m);

    const firing = await waitFor('both certificates alerting', async () => {
      const items = (await ok<{ items: AlertInstanceJson[] }>(sb, 'GET', '/api/alerts?state=firing')).items;
      return items.length === 2 && items;
    });
    t.deepEqual(
      firing.map((a) => a.subject).sort((a, b) => String(a.certificateRole).localeCompare(String(b.certificateRole))),
      [{ certificateRole: 'https-server' }, { certificateRole: 'mllp-source', channelId: 'tls-adt' }],
    );
    t.true(firing.every((a) => a.value! > 1 && a.value! <= 2 && a.threshold === 21));
  },
);
