import test from 'ava';
import type { AlertInstanceRecord } from '../../engine/ops/alerts/alert-records.ts';
import { stepAlert, type Observation, type RuleTiming } from '../../engine/ops/alerts/alert-state-machine.ts';

const rule: RuleTiming = {
  id: 'erp-down',
  version: 1,
  kind: 'destination-failing',
  severity: 'critical',
  forMs: 2000,
  repeatIntervalMs: 0,
};
const at = (s: number) => new Date(Date.UTC(2026, 0, 5, 8, 0, s));
const obs = (active: boolean, value = active ? 3 : 0): Observation => ({
  subjectKey: 'adt/erp',
  subject: { channelId: 'adt', destinationId: 'erp' },
  active,
  value,
  threshold: 0,
  summary: `x ${value}`,
});
let ids = 0;
const newId = () => `alert-${++ids}`;

/** Runs the state machine over a list of (second, active, silenced) and returns each step's notification and the last instance. */
function run(steps: [number, boolean, boolean?][], timing: RuleTiming = rule) {
  let current: AlertInstanceRecord | undefined;
  const notes: string[] = [];
  const states: string[] = [];
  for (const [s, active, silenced] of steps) {
    const step = stepAlert({ current, observation: obs(active), rule: timing, now: at(s), silenced: silenced ?? false, newId });
    if (step.notify) notes.push(`${s}:${step.notify.event}${step.notify.suppressed ? '(suppressed)' : ''}`);
    states.push(step.dropped ? 'dropped' : (step.next?.state ?? 'none'));
    current = step.next?.state === 'resolved' ? undefined : step.next;
    if (step.next?.state === 'resolved') states.push(`resolvedAt=${step.next.resolvedAt!.getUTCSeconds()}`);
  }
  return { notes, states, current };
}

test('nothing observed: no alert', (t) => {
  t.deepEqual(run([[0, false]]).states, ['none']);
});

test('pending until the condition has held forMs, then one firing notification, then one resolved', (t) => {
  const r = run([
    [0, true],
    [1, true],
    [2, true],
    [3, true],
    [4, true],
    [5, false],
    [6, false],
  ]);
  t.deepEqual(r.states, ['pending', 'pending', 'firing', 'firing', 'firing', 'resolved', 'resolvedAt=5', 'none']);
  t.deepEqual(r.notes, ['2:firing', '5:resolved']);
});

test('a pending alert that clears before forMs is dropped without any notification', (t) => {
  const r = run([
    [0, true],
    [1, false],
    [2, true],
  ]);
  t.deepEqual(r.states, ['pending', 'dropped', 'pending']);
  t.deepEqual(r.notes, []);
});

test('forMs 0 fires at the first evaluation', (t) => {
  t.deepEqual(run([[0, true]], { ...rule, forMs: 0 }).notes, ['0:firing']);
});

test('repeat while firing every repeatIntervalMs, never more often', (t) => {
  const r = run(
    [
      [0, true],
      [1, true],
      [2, true],
      [3, true],
      [4, true],
      [5, false],
    ],
    { ...rule, forMs: 0, repeatIntervalMs: 2000 },
  );
  t.deepEqual(r.notes, ['0:firing', '2:repeat', '4:repeat', '5:resolved']);
});

test('silenced: the firing is recorded as suppressed and its resolution is not notified', (t) => {
  const r = run(
    [
      [0, true, true],
      [1, true, true],
      [2, false, true],
    ],
    { ...rule, forMs: 0 },
  );
  t.deepEqual(r.notes, ['0:firing(suppressed)']);
});

test('a silence ending while the alert still fires: the firing is notified then, once', (t) => {
  const r = run(
    [
      [0, true, true],
      [1, true, false],
      [2, true, false],
      [3, false, false],
    ],
    { ...rule, forMs: 0 },
  );
  t.deepEqual(r.notes, ['0:firing(suppressed)', '1:firing', '3:resolved']);
});

test('silenced after the firing was sent: the resolution is suppressed', (t) => {
  const r = run(
    [
      [0, true],
      [1, false, true],
    ],
    { ...rule, forMs: 0 },
  );
  t.deepEqual(r.notes, ['0:firing', '1:resolved(suppressed)']);
});

test('the instance keeps the history of its states and the last value', (t) => {
  let current: AlertInstanceRecord | undefined;
  for (const [s, active] of [
    [0, true],
    [2, true],
    [3, false],
  ] as const) {
    current = stepAlert({ current, observation: obs(active, s), rule, now: at(s), silenced: false, newId }).next;
  }
  t.deepEqual(
    current!.history.map((h) => [h.state, h.at.getUTCSeconds()]),
    [
      ['pending', 0],
      ['firing', 2],
      ['resolved', 3],
    ],
  );
  t.is(current!.value, 3);
  t.is(current!.open, undefined, 'a resolved alert is no longer open');
  t.is(current!.firedAt!.getUTCSeconds(), 2);
});
