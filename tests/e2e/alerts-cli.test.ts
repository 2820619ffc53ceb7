import test from 'ava';
import type { AlertInstanceJson, AlertSilenceJson } from '../../engine/ops/alerts/alert-api-types.ts';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, testChannel, waitFor, type TestEngine } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';
import { sharedMongoUrl } from '../support/services.ts';
import { switchboard } from '../support/switchboard-cli.ts';

/**
 * `switchboard alerts` (issue 25, support at night): the real command line on a running engine's
 * store. The ERP goes down and the engine's rule fires; the command lists the alert, silences its
 * rule for two hours with a reason (the engine's API then shows it silenced), lists the silence,
 * ends it, and each act is audited as cli:<actor>. A refusal is told in the command's words.
 */

const ADT =
  'MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315083000||ADT^A01|CLI1|P|2.5.1\r' +
  'EVN|A01|20260315083000\rPID|1||RX4711Q^^^GENHOSP^MR||ROEBUCK^RITA||19800101|F\rPV1|1|I|4W\r';

const cli = (sb: TestEngine, args: string[]) =>
  switchboard(['alerts', ...args], { MONGODB_URL: sharedMongoUrl(), MONGODB_DB: sb.config.MONGODB_DB });

async function api<T>(sb: TestEngine, url: string): Promise<T> {
  return (await sb.engine.http!.inject({ method: 'GET', url, headers: sb.adminHeaders })).json<T>();
}

test('support lists the firing alert, silences its rule with a reason, lists and ends the silence; each act audited', async (t) => {
  const erp = await startErpSimulator();
  t.teardown(() => erp.close());
  const sb = await startTestEngine({
    channels: [testChannel({ erpUrl: erp.url, retry: { attempts: 1000, initialDelayMs: 100, maxDelayMs: 300 } })],
    config: { ALERT_EVAL_INTERVAL_MS: 200 },
    alertRules: [
      { id: 'erp-down', kind: 'destination-failing', channelId: 'ehr-mllp', destinationId: 'erp', forMs: 500, severity: 'critical' },
    ],
  });
  t.teardown(() => sb.close());
  erp.setBehaviour({ mode: 'fail', status: 503, times: -1 });
  const client = await MllpTestClient.connect(sb.mllpPort);
  t.is(field(await client.send(ADT), 'MSA', 1), 'AA');
  client.close();
  const alert = await waitFor('the alert firing', async () => {
    const items = (await api<{ items: AlertInstanceJson[] }>(sb, '/api/alerts?state=firing')).items;
    return items[0];
  });

  const listed = await cli(sb, ['list']);
  t.is(listed.code, 0, listed.stderr);
  t.regex(listed.stdout, new RegExp(`^${alert.id}\\s+erp-down\\s+firing\\s+critical\\s+channel:ehr-mllp destination:erp`, 'm'));
  t.false(/ROEBUCK|RX4711Q/.test(listed.stdout), 'ids and counts only');

  const refused = await cli(sb, ['silence', 'erp-down', '--until', 'tomorrow', '--reason', 'x']);
  t.is(refused.code, 2, 'a time it cannot read is a usage error');
  t.regex(refused.stderr, /--until takes a duration/);
  const noRule = await cli(sb, ['silence', 'no-such-rule', '--until', '2h', '--reason', 'maintenance']);
  t.is(noRule.code, 1);
  t.regex(noRule.stderr, /alerts failed: NOT_FOUND: no alert rule no-such-rule/);
  const tooLong = await cli(sb, ['silence', 'erp-down', '--until', '91d', '--reason', 'maintenance']);
  t.is(tooLong.code, 1);
  t.regex(tooLong.stderr, /BAD_REQUEST: `until` is in the future, at most 90 days ahead/);

  const before = Date.now();
  const added = await cli(sb, [
    'silence',
    'erp-down',
    '--until',
    '2h',
    '--reason',
    'ERP maintenance until 06:00',
    '--actor',
    'night',
    '--json',
  ]);
  t.is(added.code, 0, added.stderr);
  const silence = JSON.parse(added.stdout) as AlertSilenceJson;
  t.like(silence, { ruleId: 'erp-down', alertId: null, reason: 'ERP maintenance until 06:00', createdBy: 'cli:night', active: true });
  t.true(Math.abs(Date.parse(silence.until) - before - 2 * 3_600_000) < 60_000, silence.until);
  const shown = await api<AlertInstanceJson>(sb, `/api/alerts/${alert.id}`);
  t.is(shown.silencedUntil, silence.until, 'the engine holds the alert silenced');

  const active = JSON.parse((await cli(sb, ['silences', '--active', '--json'])).stdout) as { items: AlertSilenceJson[] };
  t.deepEqual(
    active.items.map((s) => s.id),
    [silence.id],
  );
  const ended = await cli(sb, ['unsilence', silence.id, '--actor', 'night']);
  t.is(ended.code, 0, ended.stderr);
  t.regex(ended.stdout, new RegExp(`^${silence.id}\\s+erp-down\\s+-\\s+\\S+\\s+no\\s+cli:night`, 'm'));
  const again = await cli(sb, ['unsilence', silence.id]);
  t.is(again.code, 1);
  t.regex(again.stderr, /CONFLICT: the silence has ended/);
  t.is((await api<AlertInstanceJson>(sb, `/api/alerts/${alert.id}`)).silencedUntil, null);

  const audit = await api<{ items: { actor: string; target: string; details: { silence: string } }[] }>(
    sb,
    '/api/audit?action=config.change',
  );
  t.deepEqual(
    audit.items.filter((e) => e.target === `alert-silence:${silence.id}`).map((e) => [e.actor, e.details.silence]),
    [
      ['cli:night', 'end'],
      ['cli:night', 'add'],
    ],
  );
  const history = await cli(sb, ['history', '--rule', 'erp-down']);
  t.is(history.code, 0, history.stderr);
  t.regex(history.stdout, new RegExp(`^${alert.id}\\s+erp-down`, 'm'));
});
