import test from 'ava';
import { Value } from '@sinclair/typebox/value';
import {
  ChannelRetentionSchema,
  decide,
  horizonsOf,
  daysToWalk,
  lastWholeDay,
  nextDay,
  retentionClassOf,
  retentionDays,
  type ChannelRetention,
} from '../../engine/ops/retention/retention-rules.ts';
import { Pacer } from '../../engine/ops/retention/pacer.ts';
import { MessageStatus } from '../../engine/store/states.ts';

const DAY = 86_400_000;
const NOW = Date.parse('2026-12-07T12:00:00Z');
const ago = (days: number) => new Date(NOW - days * DAY);

test('every status has a retention class: in flight never pruned, delivered and filtered by the delivered rule, the rest failed', (t) => {
  const classes = Object.fromEntries(Object.values(MessageStatus).map((s) => [s, retentionClassOf(s)]));
  t.deepEqual(classes, {
    received: 'unsettled',
    routed: 'unsettled',
    delivered: 'delivered',
    filtered: 'delivered',
    'partially-delivered': 'failed',
    dead: 'failed',
    errored: 'failed',
    rejected: 'failed',
  });
});

test('off by default: without settings or a channel block nothing is pruned, whatever its age', (t) => {
  for (const status of Object.values(MessageStatus)) {
    const verdict = decide({ status, receivedAt: ago(10_000) }, undefined, {}, NOW);
    t.is(verdict, status === 'received' || status === 'routed' ? 'unsettled' : 'forever', status);
  }
});

test('global rules: delivered N days, failed M days; an unsettled message is never pruned', (t) => {
  const global = { deliveredDays: 30, failedDays: 90 };
  t.is(decide({ status: 'delivered', receivedAt: ago(31) }, undefined, global, NOW), 'prune');
  t.is(decide({ status: 'delivered', receivedAt: ago(29) }, undefined, global, NOW), 'young');
  t.is(decide({ status: 'dead', receivedAt: ago(31) }, undefined, global, NOW), 'young', 'failed: the floor holds it');
  t.is(decide({ status: 'errored', receivedAt: ago(91) }, undefined, global, NOW), 'prune');
  t.is(decide({ status: 'routed', receivedAt: ago(5000) }, undefined, global, NOW), 'unsettled');
  t.is(decide({ status: 'received', receivedAt: ago(5000) }, undefined, global, NOW), 'unsettled');
});

test('a channel overrides per class and per status; failed statuses never go below the global floor', (t) => {
  const global = { deliveredDays: 30, failedDays: 90 };
  const channel: ChannelRetention = { deliveredDays: 7, failedDays: 10, byStatus: { filtered: 1, rejected: 400 } };
  t.is(retentionDays('delivered', channel, global), 7);
  t.is(retentionDays('filtered', channel, global), 1, 'by status over the class');
  t.is(retentionDays('dead', channel, global), 90, 'a channel cannot go below the floor');
  t.is(retentionDays('rejected', channel, global), 400, 'but may keep longer');
  t.is(retentionDays('routed', channel, global), 'unsettled');
  t.is(retentionDays('dead', { failedDays: 5 }, {}), 5, 'without a global floor the channel decides');
  t.is(retentionDays('delivered', { failedDays: 5 }, { deliveredDays: 3 }), 3, 'what the block leaves out follows the global settings');
  t.is(retentionDays('delivered', { failedDays: 5 }, {}), undefined, 'kept forever');
});

test('the channel block is checked by its schema', (t) => {
  t.true(Value.Check(ChannelRetentionSchema, { deliveredDays: 30, byStatus: { dead: 365 } }));
  t.false(Value.Check(ChannelRetentionSchema, { deliveredDays: 0 }), 'at least a day');
  t.false(Value.Check(ChannelRetentionSchema, { byStatus: { routed: 3 } }), 'no figure for a status in flight');
  t.false(Value.Check(ChannelRetentionSchema, { keepDays: 3 }));
});

test('horizons: one per figure in use; its key changes when a channel joins or leaves it, not when other figures change', (t) => {
  const global = { deliveredDays: 30, failedDays: 90 };
  const of = (channels: [string, ChannelRetention | undefined][]) =>
    new Map(horizonsOf(new Map(channels), global).map((h) => [h.days, h.key]));
  const base = of([['ehr', undefined]]);
  t.deepEqual([...base.keys()], [30, 90]);
  const lab7 = of([
    ['ehr', undefined],
    ['lab', { deliveredDays: 7 }],
  ]);
  t.deepEqual([...lab7.keys()], [7, 30, 90]);
  t.is(lab7.get(30), base.get(30), 'figure 30 has the same users: its walk goes on');
  t.not(lab7.get(90), base.get(90), "lab's failed messages joined figure 90: that walk starts again");
  const lab8 = of([
    ['ehr', undefined],
    ['lab', { deliveredDays: 8 }],
  ]);
  t.is(lab8.get(90), lab7.get(90), 'lab from 7 to 8 days: figure 90 goes on');
  t.false(lab8.has(7));
  const labFollows = of([
    ['ehr', undefined],
    ['lab', undefined],
  ]);
  t.not(labFollows.get(30), base.get(30), 'lab dropping its block joins figure 30: walked again');
  t.deepEqual(horizonsOf(new Map(), {}), [], 'off: nothing to walk');
});

test('days to walk: whole days before the cut-off, from the cursor on, at most max', (t) => {
  const until = Date.parse('2026-01-04T06:00:00Z');
  t.deepEqual(daysToWalk('2026-01-01', until, 10), ['2026-01-01', '2026-01-02', '2026-01-03']);
  t.deepEqual(daysToWalk('2026-01-01', until, 2), ['2026-01-01', '2026-01-02']);
  t.deepEqual(daysToWalk('2026-01-04', until, 10), [], 'the day of the cut-off is not whole yet');
  t.is(lastWholeDay(until), '2026-01-03');
  t.is(lastWholeDay(Date.parse('2026-01-04T00:00:00Z')), '2026-01-03', 'a day ending exactly at the cut-off is whole');
  t.is(nextDay('2026-12-31'), '2027-01-01');
  t.is(nextDay('2028-02-28'), '2028-02-29');
});

test('the pacer rests at least its pause and at least as long as the slice worked, only once a slice is full', async (t) => {
  let clock = 0;
  const slept: number[] = [];
  const pacer = new Pacer({ pauseMs: 50, restFactor: 1, sliceMs: 100, now: () => clock, sleep: async (ms) => void slept.push(ms) });
  clock = 40;
  await pacer.rest();
  t.deepEqual(slept, [], 'slice not full yet');
  clock = 130;
  await pacer.rest();
  t.deepEqual(slept, [130], 'a slice of 130 ms rests 130 ms');
  clock = 140;
  await pacer.rest(true);
  t.deepEqual(slept, [130, 50], 'forced after a short slice: the pause');
  t.is(pacer.restedMs, 180);
  t.is(new Pacer({ pauseMs: 10 }).restFor(100), 400, 'by default four times the slice: a fifth of the time at work');
});
