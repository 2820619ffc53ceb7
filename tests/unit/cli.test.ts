import test from 'ava';
import path from 'node:path';
import { runHl7Command } from '../../engine/cli/hl7.command.ts';
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
  t.deepEqual(r.out.filter((l) => l.startsWith('#')), ['# message 1', '# message 2', '# message 3']);
  const pid = JSON.parse(r.out[1]!)[2];
  t.is(pid.segment, 'PID');
  t.is(pid.fields[4][0][0][0], 'ALPHA', 'PID-5, first repetition, component, subcomponent');
});

test('usage errors exit 2', async (t) => {
  t.is((await run(['get', 'x'])).code, 2);
});
