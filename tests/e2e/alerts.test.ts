import test from 'ava';
import type { AlertInstanceJson, AlertRuleDefinition, AlertWebhookBody } from '../../engine/ops/alerts/alert-api-types.ts';
import { verifyWebhook } from '../../engine/ops/alerts/alert-signature.ts';
import type { EngineConfig } from '../../engine/config/config.ts';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, testChannel, waitFor, type TestEngine } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';
import { startSmtpServer } from '../support/smtp-server.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';

const SECRET = 'alerts-test-secret-0123456789';
const INTERVAL_MS = 200;
/** The patient data of the messages sent: none of it may appear in a notification. */
const PHI = ['ROEBUCK', 'RITA', '4711XYZ', '19800101', '12 ELM STREET'];

function adt(controlId: string): string {
  return (
    [
      `MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315083000||ADT^A01^ADT_A01|${controlId}|P|2.5.1`,
      'EVN|A01|20260315083000',
      'PID|1||4711XYZ^^^GENHOSP^MR||ROEBUCK^RITA||19800101|F|||12 ELM STREET^^SPRINGFIELD',
      `PV1|1|I|4W^412^B^GENHOSP||||||||||||||||V${controlId}`,
    ].join('\r') + '\r'
  );
}

async function send(sb: TestEngine, controlId: string): Promise<void> {
  const client = await MllpTestClient.connect(sb.mllpPort);
  try {
    const ack = await client.send(adt(controlId));
    if (field(ack, 'MSA', 1) !== 'AA') throw new Error(`not accepted: ${ack}`);
  } finally {
    client.close();
  }
}

async function api<T>(sb: TestEngine, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown): Promise<T> {
  const res = await sb.engine.http!.inject({
    method,
    url,
    headers: sb.adminHeaders,
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
  if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
  return res.json<T>();
}

/** Saves and deploys a rule through the API, as an operator would. */
async function deployRule(sb: TestEngine, rule: AlertRuleDefinition): Promise<void> {
  await api(sb, 'POST', '/api/alert-rules', rule);
  await api(sb, 'POST', `/api/alert-rules/${rule.id}/deploy`, {});
}

const bodies = (hooks: WebhookReceiver) => hooks.received().map((h) => JSON.parse(h.body) as AlertWebhookBody);
const alertOf = (sb: TestEngine, id: string) => api<AlertInstanceJson>(sb, 'GET', `/api/alerts/${id}`);

/** An engine whose ERP destination retries for ever (an outage keeps deliveries retrying), alerting `hooks` (and SMTP when given). */
function alertingEngine(o: { erpUrl: string; hooks: WebhookReceiver; smtpPort?: number; config?: Partial<EngineConfig> }) {
  return startTestEngine({
    channels: [testChannel({ erpUrl: o.erpUrl, retry: { attempts: 1000, initialDelayMs: 100, maxDelayMs: 300 } })],
    config: {
      ALERT_EVAL_INTERVAL_MS: INTERVAL_MS,
      ALERT_WEBHOOK_URL: o.hooks.url,
      ALERT_WEBHOOK_SECRET: SECRET,
      ALERT_NOTIFY_INITIAL_DELAY_MS: 50,
      ALERT_NOTIFY_MAX_DELAY_MS: 200,
      ALERT_SOURCE_NAME: 'alerts-test',
      ...(o.smtpPort ? { ALERT_SMTP_HOST: '127.0.0.1', ALERT_SMTP_PORT: o.smtpPort, ALERT_SMTP_TO: 'oncall@hospital.test' } : {}),
      ...o.config,
    },
  });
}

test('ERP down: one signed firing webhook and one e-mail, then one resolved of each when it is back; no PHI in any', async (t) => {
  const [erp, hooks, smtp] = await Promise.all([startErpSimulator({ port: 0 }), startWebhookReceiver(), startSmtpServer()]);
  const sb = await alertingEngine({ erpUrl: erp.url, hooks, smtpPort: smtp.port });
  t.teardown(async () => (await sb.close(), await erp.close(), await hooks.close(), await smtp.close()));
  await deployRule(sb, {
    id: 'erp-down',
    kind: 'destination-failing',
    channelId: 'ehr-mllp',
    destinationId: 'erp',
    forMs: 2000,
    severity: 'critical',
  });

  erp.setBehaviour({ mode: 'fail', status: 503, times: -1 });
  await send(sb, 'DOWN1');
  await send(sb, 'DOWN2');
  const [firing] = await waitFor('the firing webhook', () => bodies(hooks).filter((b) => b.event === 'firing').length > 0 && bodies(hooks));
  await waitFor('the firing e-mail', async () => (await smtp.messages()).length > 0);
  // Many evaluations while it fires: still one notification of each.
  await waitFor('ten more evaluations', async () => {
    const a = await alertOf(sb, firing!.alert.id);
    return Date.parse(a.lastEvaluatedAt) - Date.parse(a.firedAt!) >= 10 * INTERVAL_MS;
  });

  erp.setBehaviour({ mode: 'ok' });
  await waitFor('the resolved webhook', () => bodies(hooks).some((b) => b.event === 'resolved'));
  await waitFor('the resolved e-mail', async () => (await smtp.messages()).length >= 2);
  const alert = await waitFor('every notification settled', async () => {
    const a = await alertOf(sb, firing!.alert.id);
    return a.notifications.length === 4 && a.notifications.every((n) => n.outcome === 'sent') && a;
  });

  const hooksSeen = hooks.received();
  t.deepEqual(
    bodies(hooks).map((b) => b.event),
    ['firing', 'resolved'],
  );
  for (const h of hooksSeen) {
    t.true(
      verifyWebhook({
        secret: SECRET,
        body: h.body,
        timestamp: h.headers['x-switchboard-timestamp'] as string,
        signature: h.headers['x-switchboard-signature'] as string,
      }),
    );
    t.is(h.headers['content-type'], 'application/json');
  }
  t.false(
    verifyWebhook({
      secret: 'another-secret-0123456789',
      body: hooksSeen[0]!.body,
      timestamp: hooksSeen[0]!.headers['x-switchboard-timestamp'] as string,
      signature: hooksSeen[0]!.headers['x-switchboard-signature'] as string,
    }),
  );
  const [fired, resolved] = bodies(hooks);
  t.like(fired!.alert, {
    ruleId: 'erp-down',
    kind: 'destination-failing',
    severity: 'critical',
    subject: { channelId: 'ehr-mllp', destinationId: 'erp' },
    state: 'firing',
  });
  t.true(fired!.alert.value! >= 1, 'the count of deliveries retrying');
  t.is(resolved!.alert.state, 'resolved');
  t.is(resolved!.alert.id, fired!.alert.id);
  t.true(Date.parse(fired!.alert.firedAt!) - Date.parse(fired!.alert.startedAt) >= 2000, 'pending for forMs before firing');

  const mails = await smtp.messages();
  t.is(mails.length, 2);
  t.regex(mails[0]!.headers['subject']!, /FIRING: erp-down \(destination-failing\)/);
  t.regex(mails[1]!.headers['subject']!, /RESOLVED: erp-down/);
  t.is(mails[0]!.headers['to'], 'oncall@hospital.test');
  t.regex(mails[0]!.text, /destination erp of channel ehr-mllp: \d+ deliveries retrying/);
  t.deepEqual(
    alert.history.map((h) => h.state),
    ['pending', 'firing', 'resolved'],
  );
  const everything = [...hooksSeen.map((h) => h.body), ...mails.map((m) => m.raw), JSON.stringify(alert)].join('\n');
  for (const value of PHI) t.false(everything.includes(value), `${value} in a notification`);
});

test('a silenced rule sends nothing: its firing and resolution are recorded as suppressed; the silence is audited', async (t) => {
  const [erp, hooks, smtp] = await Promise.all([startErpSimulator({ port: 0 }), startWebhookReceiver(), startSmtpServer()]);
  const sb = await alertingEngine({ erpUrl: erp.url, hooks, smtpPort: smtp.port });
  t.teardown(async () => (await sb.close(), await erp.close(), await hooks.close(), await smtp.close()));
  await deployRule(sb, { id: 'erp-down', kind: 'destination-failing', destinationId: 'erp' });
  const until = new Date(Date.now() + 3_600_000).toISOString();
  const silence = await api<{ id: string; active: boolean }>(sb, 'POST', '/api/alert-silences', {
    ruleId: 'erp-down',
    until,
    reason: 'ERP maintenance window',
  });
  t.true(silence.active);

  erp.setBehaviour({ mode: 'fail', status: 503, times: -1 });
  await send(sb, 'SIL1');
  const firing = await waitFor(
    'the alert firing',
    async () => (await api<{ items: AlertInstanceJson[] }>(sb, 'GET', '/api/alerts?state=firing')).items[0],
  );
  t.is(firing.silencedUntil, until);
  erp.setBehaviour({ mode: 'ok' });
  const done = await waitFor('the alert resolved', async () => {
    const a = await alertOf(sb, firing.id);
    return a.state === 'resolved' && a;
  });
  t.deepEqual(
    done.notifications.map((n) => `${n.event}/${n.channel}/${n.outcome}`).sort(),
    ['firing/email/suppressed', 'firing/webhook/suppressed'],
    'its firing suppressed; its resolution, whose firing nobody was told, not notified at all',
  );
  t.is(hooks.received().length, 0);
  t.is((await smtp.messages()).length, 0);
  const audit = await api<{ items: { target: string; details: { reason?: string } }[] }>(sb, 'GET', '/api/audit?action=config.change');
  t.true(audit.items.some((e) => e.target === `alert-silence:${silence.id}` && e.details.reason === 'ERP maintenance window'));
});

test('inactivity: a channel with no message for the window fires (the webhook retried on 503); one message resolves it', async (t) => {
  const [erp, hooks] = await Promise.all([startErpSimulator({ port: 0 }), startWebhookReceiver()]);
  const sb = await alertingEngine({ erpUrl: erp.url, hooks });
  t.teardown(async () => (await sb.close(), await erp.close(), await hooks.close()));
  // The receiver answers 503 twice first: the firing is retried with backoff, as a delivery.
  hooks.failNext(503, 2);
  await deployRule(sb, { id: 'ehr-silent', kind: 'inactivity', channelId: 'ehr-mllp', silentForMs: 3000, notify: ['webhook'] });

  const [fired] = await waitFor('the firing webhook', () => bodies(hooks).length > 0 && bodies(hooks));
  t.like(fired!, {
    event: 'firing',
    alert: { ruleId: 'ehr-silent', kind: 'inactivity', subject: { channelId: 'ehr-mllp' }, value: 0, threshold: 3000 },
  });
  await send(sb, 'WAKE1');
  await waitFor('the resolved webhook', () => bodies(hooks).some((b) => b.event === 'resolved'));
  const resolved = bodies(hooks).find((b) => b.event === 'resolved')!;
  t.is(resolved.alert.id, fired!.alert.id);
  const alert = await alertOf(sb, fired!.alert.id);
  t.is(alert.state, 'resolved');
  t.is(alert.history.at(-1)!.value, 1, 'the one message counted when it resolved');
  t.like(alert.notifications[0], { event: 'firing', channel: 'webhook', outcome: 'sent', attempts: 3, code: 'PEER_UNAVAILABLE' });
  t.is(bodies(hooks).filter((b) => b.event === 'firing').length, 1);
});

test('a replay that could not replay its deliveries: counted in switchboard_replays_failed_total, alerted with its id', async (t) => {
  const [erp, hooks] = await Promise.all([startErpSimulator({ port: 0 }), startWebhookReceiver()]);
  const sb = await alertingEngine({ erpUrl: erp.url, hooks });
  t.teardown(async () => (await sb.close(), await erp.close(), await hooks.close()));
  await deployRule(sb, { id: 'replays', kind: 'replay-failed', notify: ['webhook'] });
  const failedTotal = async () => {
    const scrape = (await sb.engine.http!.inject({ method: 'GET', url: '/metrics', headers: sb.adminHeaders })).body;
    return Number(/^switchboard_replays_failed_total (\d+)$/m.exec(scrape)?.[1]);
  };
  const before = await failedTotal();

  erp.setBehaviour({ mode: 'fail', status: 400, times: -1 });
  await send(sb, 'RPF1');
  await waitFor('dead', async () => (await sb.engine.store!.messages.list({ status: 'dead', limit: 1 })).length === 1);
  // Its channel undeployed: the replay refuses the delivery.
  await api(sb, 'POST', '/api/channels/ehr-mllp/undeploy');
  const replay = await api<{ replayId: string }>(sb, 'POST', '/api/replays', {
    filter: { destination: 'erp' },
    reason: 'try again',
    dryRun: false,
  });
  await waitFor(
    'the replay done',
    async () => (await api<{ state: string }>(sb, 'GET', `/api/replays/${replay.replayId}`)).state === 'done',
  );
  t.is(await failedTotal(), before + 1);

  const [fired] = await waitFor('the firing webhook', () => bodies(hooks).length > 0 && bodies(hooks));
  t.like(fired!.alert, { ruleId: 'replays', kind: 'replay-failed', subject: { replayId: replay.replayId }, value: 1, state: 'firing' });
  t.regex(fired!.alert.summary, /^replay \S+: 1 of 1 deliveries refused$/);
});

test('error rate: dead messages above the percentage of those received in the window fire, counted by minute', async (t) => {
  const [erp, hooks] = await Promise.all([startErpSimulator({ port: 0 }), startWebhookReceiver()]);
  const sb = await alertingEngine({ erpUrl: erp.url, hooks });
  t.teardown(async () => (await sb.close(), await erp.close(), await hooks.close()));
  await deployRule(sb, {
    id: 'dead-rate',
    kind: 'error-rate',
    channelId: 'ehr-mllp',
    count: ['dead'],
    abovePercent: 60,
    windowMs: 120_000,
  });
  await send(sb, 'RATE1');
  await waitFor('delivered', async () => (await sb.engine.store!.messages.list({ status: 'delivered', limit: 1 })).length === 1);
  erp.setBehaviour({ mode: 'fail', status: 400, times: -1 });
  await send(sb, 'RATE2');
  await send(sb, 'RATE3');
  const [fired] = await waitFor('the firing webhook', () => bodies(hooks).length > 0 && bodies(hooks));
  t.like(fired!.alert, { ruleId: 'dead-rate', subject: { channelId: 'ehr-mllp' }, threshold: 60 });
  t.is(fired!.alert.value, 66.67, 'two dead of three (one of two, 50%, does not fire)');
  t.regex(fired!.alert.summary, /^channel ehr-mllp: 2 of 3 messages dead in the last 2 min \(66\.67%\)$/);
});

test('a backlog: queue depth and the oldest waiting job fire while the ERP holds every request, and resolve once it answers', async (t) => {
  const [erp, hooks] = await Promise.all([startErpSimulator({ port: 0 }), startWebhookReceiver()]);
  // One delivery at a time: while the ERP holds it, the others wait in the destination's queue.
  const sb = await alertingEngine({ erpUrl: erp.url, hooks, config: { DELIVERY_CONCURRENCY: 1 } });
  t.teardown(async () => (await sb.close(), await erp.close(), await hooks.close()));
  const scope = { channelId: 'ehr-mllp', destinationId: 'erp', notify: ['webhook' as const] };
  await deployRule(sb, { id: 'erp-backlog', kind: 'queue-depth', above: 1, ...scope });
  await deployRule(sb, { id: 'erp-stuck', kind: 'oldest-waiting', olderThanMs: 500, ...scope });

  erp.setBehaviour({ mode: 'hang', times: -1 });
  for (const id of ['BKL1', 'BKL2', 'BKL3', 'BKL4']) await send(sb, id);
  const firing = (rule: string) => bodies(hooks).find((b) => b.event === 'firing' && b.alert.ruleId === rule);
  const [depth, age] = await waitFor('both firing', () => {
    const both = [firing('erp-backlog'), firing('erp-stuck')];
    return both.every(Boolean) && both;
  });
  t.like(depth!.alert, { kind: 'queue-depth', subject: { channelId: 'ehr-mllp', destinationId: 'erp' }, threshold: 1 });
  t.true(depth!.alert.value! >= 2, `jobs waiting: ${depth!.alert.value}`);
  t.like(age!.alert, { kind: 'oldest-waiting', subject: { channelId: 'ehr-mllp', destinationId: 'erp' }, threshold: 500 });
  t.true(age!.alert.value! > 500, `oldest waiting: ${age!.alert.value} ms`);

  erp.setBehaviour({ mode: 'ok' });
  await waitFor('all four delivered', () => erp.postings().length === 4, 60_000);
  const resolved = await waitFor('both resolved', () => {
    const ids = new Set(
      bodies(hooks)
        .filter((b) => b.event === 'resolved')
        .map((b) => b.alert.id),
    );
    return ids.has(depth!.alert.id) && ids.has(age!.alert.id) && ids;
  });
  t.is(resolved.size, 2);
  t.false(
    hooks.received().some((h) => PHI.some((p) => h.body.includes(p))),
    'no patient data in any notification',
  );
});
