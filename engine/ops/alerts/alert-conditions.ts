import type { AlertRuleDefinition, CertificateRole } from './alert-api-types.ts';
import type { Observation } from './alert-state-machine.ts';
import { DAY_MS } from '../../durations.ts';

/*
 * Each kind of rule's condition, pure: what the signals read (alert-signals.ts) becomes one
 * observation per subject. Values and summaries are ids, counts, thresholds and durations only.
 */

/** One destination's delivery queue: jobs not yet run (waiting, prioritized, delayed) and the oldest waiting job's age. */
export interface QueueReading {
  channelId: string;
  destinationId: string;
  depth: number;
  oldestWaitingMs: number | null;
}
/** Messages a channel (`*`: all) received in a window, and how many of them are errored or dead now. */
export interface ReceivedReading {
  channelId: string;
  total: number;
  errored: number;
  dead: number;
}
/** Deliveries of a destination waiting for their next attempt after a failure. */
export interface FailingReading {
  channelId: string;
  destinationId: string;
  retrying: number;
}
/** Instances of a flow stalled on a dead step. */
export interface FlowReading {
  flowId: string;
  stalled: number;
}
/** A certificate a deployed channel or the HTTPS server names: when it expires (null: its file could not be read). */
export interface CertificateReading {
  role: CertificateRole;
  /** `admin`, a channel id, or `<channel>/<destination>`. */
  source: string;
  notAfter: Date | null;
}
/** A finished replay: how many of its deliveries the current transforms refused. */
export interface ReplayReading {
  replayId: string;
  selected: number;
  refused: number;
  finishedAt: Date;
}

/**
 * What the signals read for one rule, by its kind. `inactivity`: 1 when a message came in its window,
 * 0 when none, null when not watched now (outside its active hours).
 */
export type Reading =
  | { kind: 'queue-depth' | 'oldest-waiting'; queues: QueueReading[] }
  | { kind: 'error-rate'; channels: ReceivedReading[] }
  | { kind: 'inactivity'; channelId: string; received: number | null; deployed: boolean }
  | { kind: 'destination-failing'; destinations: FailingReading[] }
  | { kind: 'flow-step-dead'; flows: FlowReading[] }
  | { kind: 'certificate-expiry'; certificates: CertificateReading[] }
  | { kind: 'replay-failed'; replays: ReplayReading[] };

/** How long a failed replay's alert fires, by default: a day. */
export const DEFAULT_REPLAY_WINDOW_MS = DAY_MS;

const inScope = (rule: { channelId?: string; destinationId?: string }, r: { channelId: string; destinationId: string }) =>
  (!rule.channelId || rule.channelId === r.channelId) && (!rule.destinationId || rule.destinationId === r.destinationId);
const destinationSubject = (r: { channelId: string; destinationId: string }) => ({
  subjectKey: `${r.channelId}/${r.destinationId}`,
  subject: { channelId: r.channelId, destinationId: r.destinationId },
});
const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

/** The observations of `rule` from what was read for it. A reading of another kind than the rule's observes nothing. */
export function observe(rule: AlertRuleDefinition, reading: Reading, now: Date): Observation[] {
  switch (rule.kind) {
    case 'queue-depth':
      if (reading.kind !== 'queue-depth') return [];
      return reading.queues.filter((q) => inScope(rule, q)).map((q) => queueDepth(q, rule.above));
    case 'oldest-waiting':
      if (reading.kind !== 'oldest-waiting') return [];
      return reading.queues.filter((q) => inScope(rule, q)).map((q) => oldestWaiting(q, rule.olderThanMs));
    case 'error-rate':
      return reading.kind === 'error-rate' ? errorRate(rule, reading.channels) : [];
    case 'inactivity':
      return reading.kind === 'inactivity' ? inactivity(rule, reading) : [];
    case 'destination-failing':
      if (reading.kind !== 'destination-failing') return [];
      return reading.destinations.filter((d) => inScope(rule, d)).map(destinationFailing);
    case 'flow-step-dead':
      if (reading.kind !== 'flow-step-dead') return [];
      return reading.flows.filter((f) => !rule.flowId || rule.flowId === f.flowId).map(flowStepDead);
    case 'certificate-expiry':
      if (reading.kind !== 'certificate-expiry') return [];
      return reading.certificates.filter((c) => !rule.roles || rule.roles.includes(c.role)).map((c) => expiry(c, rule.withinDays, now));
    case 'replay-failed':
      return reading.kind === 'replay-failed' ? replayFailed(reading.replays, rule.withinMs ?? DEFAULT_REPLAY_WINDOW_MS, now) : [];
    default:
      return rule satisfies never;
  }
}

function queueDepth(q: QueueReading, above: number): Observation {
  const where = `destination ${q.destinationId} of channel ${q.channelId}`;
  return {
    ...destinationSubject(q),
    active: q.depth > above,
    value: q.depth,
    threshold: above,
    summary: `${where}: ${q.depth} jobs queued`,
  };
}

function oldestWaiting(q: QueueReading, olderThanMs: number): Observation {
  const age = q.oldestWaitingMs ?? 0;
  const summary = `destination ${q.destinationId} of channel ${q.channelId}: oldest job waiting ${seconds(age)}`;
  return { ...destinationSubject(q), active: age > olderThanMs, value: age, threshold: olderThanMs, summary };
}

function errorRate(rule: Extract<AlertRuleDefinition, { kind: 'error-rate' }>, rows: ReceivedReading[]): Observation[] {
  const counted = rule.count ?? ['errored', 'dead'];
  const scoped = rule.channelId ? rows.filter((r) => r.channelId === rule.channelId) : rows;
  const total = scoped.reduce((n, r) => n + r.total, 0);
  const failed = scoped.reduce((n, r) => n + (counted.includes('errored') ? r.errored : 0) + (counted.includes('dead') ? r.dead : 0), 0);
  const percent = total === 0 ? 0 : Math.round((failed / total) * 10_000) / 100;
  const minutes = Math.ceil(rule.windowMs / 60_000);
  const where = rule.channelId ? `channel ${rule.channelId}` : 'all channels';
  return [
    {
      subjectKey: rule.channelId ?? '*',
      subject: rule.channelId ? { channelId: rule.channelId } : {},
      active: total >= (rule.minMessages ?? 1) && percent > rule.abovePercent,
      value: percent,
      threshold: rule.abovePercent,
      summary: `${where}: ${failed} of ${total} messages ${counted.join(' or ')} in the last ${minutes} min (${percent}%)`,
    },
  ];
}

function inactivity(
  rule: Extract<AlertRuleDefinition, { kind: 'inactivity' }>,
  r: Extract<Reading, { kind: 'inactivity' }>,
): Observation[] {
  const watched = r.deployed && r.received !== null;
  const silence = r.received === 0 ? 'no message' : 'messages received';
  const summary = watched
    ? `channel ${r.channelId}: ${silence} in the last ${seconds(rule.silentForMs)}`
    : `channel ${r.channelId}: not watched now`;
  return [
    {
      subjectKey: r.channelId,
      subject: { channelId: r.channelId },
      active: watched && r.received === 0,
      value: r.received,
      threshold: rule.silentForMs,
      summary,
    },
  ];
}

function destinationFailing(d: FailingReading): Observation {
  const summary = `destination ${d.destinationId} of channel ${d.channelId}: ${d.retrying} deliveries retrying`;
  return { ...destinationSubject(d), active: d.retrying > 0, value: d.retrying, threshold: 0, summary };
}

function flowStepDead(f: FlowReading): Observation {
  const summary = `flow ${f.flowId}: ${f.stalled} instances stalled on a dead step`;
  return { subjectKey: f.flowId, subject: { flowId: f.flowId }, active: f.stalled > 0, value: f.stalled, threshold: 0, summary };
}

function expiry(c: CertificateReading, withinDays: number, now: Date): Observation {
  const days = c.notAfter === null ? null : Math.floor(((c.notAfter.getTime() - now.getTime()) / DAY_MS) * 10) / 10;
  const subject = { certificateRole: c.role, ...subjectOfSource(c.source) };
  const summary =
    days === null
      ? `${c.role} certificate of ${c.source}: file not readable`
      : `${c.role} certificate of ${c.source}: expires in ${days} days`;
  return {
    subjectKey: `${c.role}:${c.source}`,
    subject,
    active: days !== null && days < withinDays,
    value: days,
    threshold: withinDays,
    summary,
  };
}

/** `admin`, `<channel>` or `<channel>/<destination>` as subject ids. */
function subjectOfSource(source: string): { channelId?: string; destinationId?: string } {
  if (source === 'admin') return {};
  const [channelId, destinationId] = source.split('/');
  return { ...(channelId ? { channelId } : {}), ...(destinationId ? { destinationId } : {}) };
}

function replayFailed(replays: ReplayReading[], withinMs: number, now: Date): Observation[] {
  return replays
    .filter((r) => r.refused > 0)
    .map((r) => ({
      subjectKey: r.replayId,
      subject: { replayId: r.replayId },
      active: now.getTime() - r.finishedAt.getTime() < withinMs,
      value: r.refused,
      threshold: 0,
      summary: `replay ${r.replayId}: ${r.refused} of ${r.selected} deliveries refused`,
    }));
}
