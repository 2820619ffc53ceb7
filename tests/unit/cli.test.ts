import test from 'ava';
import path from 'node:path';
import { runHl7Command } from '../../engine/cli/hl7.command.ts';
import { cliPrincipal, UsageError } from '../../engine/cli/cli-context.ts';
import { progressLine, table } from '../../engine/cli/cli-output.ts';
import { parseUntil, runAlertsCommand } from '../../engine/cli/alerts.command.ts';
import { runDeliveriesCommand } from '../../engine/cli/deliveries.command.ts';
import { runReplayCommand as runReplay } from '../../engine/cli/replay.command.ts';
import { connectors } from '../../wiring.ts';
import { runTokensCommand } from '../../engine/cli/tokens.command.ts';
import { runUsersCommand } from '../../engine/cli/users.command.ts';
import { CORPUS, requireShared } from '../support/shared.ts';

async function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runHl7Command(args, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out, err };
}

test('hl7 get prints the decoded value of each path', async (t) => {
  if (!requireShared(t)) return;
  const r = await run(['get', path.join(CORPUS, '005-escape-sequences.hl7'), 'PID-5.1', 'NTE(2)-3']);
  t.deepEqual(r, { code: 0, out: ['O&BRIEN', 'Hex: ABCD end'], err: [] });
});

test('hl7 validate exits 1 with the reason for invalid input, 0 for a batch', async (t) => {
  if (!requireShared(t)) return;
  const bad = await run(['validate', path.join(CORPUS, '104-bad-segment-name.hl7')]);
  t.is(bad.code, 1);
  t.regex(bad.err[0]!, /segment name 'P!D' on line 2/);
  const batch = await run(['validate', path.join(CORPUS, '007-batch-fhs-bhs.hl7')]);
  t.deepEqual(batch.out, ['valid: 3 messages']);
});

test('hl7 json gives one block per message of a batch', async (t) => {
  if (!requireShared(t)) return;
  const r = await run(['json', path.join(CORPUS, '007-batch-fhs-bhs.hl7')]);
  t.deepEqual(
    r.out.filter((l) => l.startsWith('#')),
    ['# message 1', '# message 2', '# message 3'],
  );
  const pid = JSON.parse(r.out[1]!)[2];
  t.is(pid.segment, 'PID');
  t.is(pid.fields[4][0][0][0], 'ALPHA', 'PID-5, first repetition, component, subcomponent');
});

test('usage errors exit 2', async (t) => {
  t.is((await run(['get', 'x'])).code, 2);
});

// Support commands: what they print, and command lines refused before any store is opened.

test('table pads every column but the last to its widest cell', (t) => {
  t.deepEqual(
    table(
      ['USER', 'ROLE', 'NOTE'],
      [
        ['carol', 'support', ''],
        ['al', 'monitor', 'service user'],
      ],
    ),
    ['USER   ROLE     NOTE', 'carol  support', 'al     monitor  service user'],
  );
  t.deepEqual(table(['A', 'B'], []), ['A  B']);
});

test('progressLine shows the share of selected deliveries handled, and done', (t) => {
  const progress = { selected: 8, replayed: 3, refused: 1, skipped: 0 };
  t.is(progressLine({ progress, state: 'running' }), `[${'#'.repeat(12)}${'.'.repeat(12)}]  50% 3/8 replayed, 1 refused, 0 skipped`);
  t.is(
    progressLine({ progress: { selected: 0, replayed: 0, refused: 0, skipped: 0 }, state: 'done' }),
    `[${'#'.repeat(24)}] 100% 0/0 replayed, 0 refused, 0 skipped, done`,
  );
});

test('the command line acts as cli:<actor>, with every channel but no PHI permission', (t) => {
  t.deepEqual(cliPrincipal('ops'), { username: 'cli:ops', role: 'admin', channels: '*', phi: false, via: 'cli' });
  t.regex(cliPrincipal(undefined).username, /^cli:./);
  t.throws(() => cliPrincipal('no spaces'), { instanceOf: UsageError });
});

const runReplayCommand = (args: string[], io: { out: (s: string) => void; err: (s: string) => void }, env: NodeJS.ProcessEnv) =>
  runReplay(args, io, connectors, env);

async function runWith(
  command: (args: string[], io: { out: (s: string) => void; err: (s: string) => void }, env: NodeJS.ProcessEnv) => Promise<number>,
  args: string[],
  env: NodeJS.ProcessEnv = { MONGODB_URL: 'mongodb://127.0.0.1:1/' },
) {
  const err: string[] = [];
  const out: string[] = [];
  const code = await command(args, { out: (s) => out.push(s), err: (s) => err.push(s) }, env);
  return { code, out, err: err.join('\n') };
}

test('support commands refuse a bad command line with exit 2 and their usage, before opening the store', async (t) => {
  const cases: [Parameters<typeof runWith>[0], string[], RegExp][] = [
    [runDeliveriesCommand, ['dead', '--limit', '0'], /--limit takes a positive whole number/],
    [runDeliveriesCommand, ['alive'], /unknown: alive/],
    [runReplayCommand, ['--channel', 'ehr-mllp'], /a replay needs --reason/],
    [runReplayCommand, ['--reason', 'ERP back'], /name --message ids and\/or a filter/],
    [runReplayCommand, ['--channel', 'x', '--dry-run', '--error', 'NOPE'], /--error takes an error code/],
    [runReplayCommand, ['--channel', 'x', '--dry-run', '--from', 'yesterday'], /not a date and time: yesterday/],
    [runReplayCommand, ['--channel', 'x', '--reason', 'no'], /--reason takes 3 to 1,000 characters/],
    [runUsersCommand, ['add', 'carol', '--role', 'boss'], /--role takes one of admin/],
    [runUsersCommand, ['disable', 'carol', '--role', 'admin'], /users disable takes no --role/],
    [runUsersCommand, ['add', 'carol', '--bogus'], /Unknown option '--bogus'/],
    [runTokensCommand, ['create'], /name --role, --user or both/],
    [runTokensCommand, ['create', '--role', 'monitor', '--actor', 'two words'], /--actor takes/],
    [runAlertsCommand, ['silence', 'erp-down', '--reason', 'maintenance'], /silence needs --until/],
    [runAlertsCommand, ['silence', 'erp-down', '--until', '2h'], /silence needs --reason/],
    [runAlertsCommand, ['silence', 'erp-down', '--until', '2026-12-08T06:00', '--reason', 'x'], /--until takes a duration/],
    [runAlertsCommand, ['silence', '--until', '2h', '--reason', 'x'], /silence needs the RULE/],
    [runAlertsCommand, ['unsilence'], /unsilence needs the SILENCE_ID/],
    [runAlertsCommand, ['history', '--limit', '501'], /--limit takes a whole number from 1 to 500/],
    [runAlertsCommand, ['list', 'extra'], /unknown: list extra/],
    [runAlertsCommand, ['history', '--rule', 'Bad Rule'], /--rule takes an alert rule id/],
  ];
  for (const [command, args, expected] of cases) {
    const r = await runWith(command, args);
    t.is(r.code, 2, args.join(' '));
    t.regex(r.err, expected);
    t.regex(r.err, /usage:/);
  }
  const noStore = await runWith(runDeliveriesCommand, ['dead'], {});
  t.is(noStore.code, 2);
  t.regex(noStore.err, /MONGODB_URL is not set/);
});

test('alerts silence --until: a duration from now, or an ISO 8601 time with its zone; nothing else', (t) => {
  const now = new Date('2026-12-07T22:00:00Z');
  t.is(parseUntil('30m', now).toISOString(), '2026-12-07T22:30:00.000Z');
  t.is(parseUntil('8h', now).toISOString(), '2026-12-08T06:00:00.000Z');
  t.is(parseUntil('2d', now).toISOString(), '2026-12-09T22:00:00.000Z');
  t.is(parseUntil('2026-12-08T06:00:00+01:00', now).toISOString(), '2026-12-08T05:00:00.000Z');
  t.is(parseUntil('2026-12-08T06:00Z', now).toISOString(), '2026-12-08T06:00:00.000Z');
  for (const bad of ['0h', '2w', '1.5h', '2026-12-08T06:00:00', '2026-13-08T06:00:00Z', '2026-02-30T06:00:00Z', 'tomorrow', ''])
    t.throws(() => parseUntil(bad, now), { instanceOf: UsageError }, bad);
});
