import type {
  AlertInstanceJson,
  AlertRuleDefinition,
  AlertRuleKind,
  AlertState,
  AlertSubject,
} from '../../engine/ops/alerts/alert-api-types.ts';

/**
 * Shapes of the alerts API (engine/ops/alerts/alert-api-types.ts, which lists the routes) as the
 * console reads and sends them: the engine's own types (type-only imports: nothing of the engine
 * is bundled), the states the pages offer, and how a subject and a duration are written.
 */
export type {
  AlertInstanceJson,
  AlertList,
  AlertNotificationJson,
  AlertRuleBundle,
  AlertRuleDefinition,
  AlertRuleDeploymentJson,
  AlertRuleDiffJson,
  AlertRuleImportResult,
  AlertRuleJson,
  AlertRuleKind,
  AlertRuleList,
  AlertRuleProblem,
  AlertRuleState,
  AlertRuleValidation,
  AlertRuleVersionJson,
  AlertRuleVersionList,
  AlertSilenceJson,
  AlertSilenceList,
  AlertSilenceRequest,
  AlertState,
  AlertSubject,
  AlertTransitionJson,
} from '../../engine/ops/alerts/alert-api-types.ts';

/** Every alert state, in the order the history filter offers them (a record, so the compiler finds one missing or unknown). */
const ALERT_STATE: Record<AlertState, true> = { pending: true, firing: true, resolved: true };
export const ALERT_STATES = Object.keys(ALERT_STATE) as AlertState[];

/**
 * A new rule of each kind as the editor starts it: the kind's required parameters with plausible
 * values (a record, so a kind added to the engine must be added here too).
 */
export const RULE_TEMPLATES: Record<AlertRuleKind, AlertRuleDefinition> = {
  'queue-depth': { id: '', kind: 'queue-depth', above: 500, forMs: 300_000 },
  'oldest-waiting': { id: '', kind: 'oldest-waiting', olderThanMs: 600_000 },
  'error-rate': { id: '', kind: 'error-rate', abovePercent: 5, windowMs: 900_000, minMessages: 20 },
  inactivity: {
    id: '',
    kind: 'inactivity',
    channelId: '',
    silentForMs: 3_600_000,
    activeHours: { days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '07:00', to: '19:00', timeZone: 'Europe/Berlin' },
  },
  'destination-failing': { id: '', kind: 'destination-failing', forMs: 600_000 },
  'flow-step-dead': { id: '', kind: 'flow-step-dead' },
  'certificate-expiry': { id: '', kind: 'certificate-expiry', withinDays: 21 },
  'replay-failed': { id: '', kind: 'replay-failed', withinMs: 3_600_000 },
};
export const RULE_KINDS = Object.keys(RULE_TEMPLATES) as AlertRuleKind[];

/** What an alert is about, as one line: `channel ehr-mllp · destination erp`; `all channels` when it names none. */
export function subjectText(s: AlertSubject): string {
  const parts = [
    s.channelId && `channel ${s.channelId}`,
    s.destinationId && `destination ${s.destinationId}`,
    s.flowId && `flow ${s.flowId}`,
    s.replayId && `replay ${s.replayId}`,
    s.certificateRole && `certificate ${s.certificateRole}`,
  ].filter(Boolean);
  return parts.length ? parts.join(' · ') : 'all channels';
}

/** A duration in milliseconds as `45 s`, `12 min`, `3 h 5 min` or `2 d 4 h`. */
export function durationText(ms: number): string {
  const s = Math.round(Math.max(0, ms) / 1000);
  if (s < 90) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 90) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/** How long ago an instant was, from `now` (ms): `12 min ago`. */
export const sinceText = (iso: string, now = Date.now()) => `${durationText(now - Date.parse(iso))} ago`;

/** When an alert began to be what it is: fired when it fired, else when its condition first held. */
export const sinceOf = (a: AlertInstanceJson) => a.firedAt ?? a.startedAt;

/** What a rule watches, with its threshold, as one line (`above 500 jobs for 5 min`). */
export function ruleCondition(r: AlertRuleDefinition): string {
  const wait = r.forMs ? ` for ${durationText(r.forMs)}` : '';
  switch (r.kind) {
    case 'queue-depth':
      return `queue above ${r.above} jobs${wait}`;
    case 'oldest-waiting':
      return `oldest waiting job older than ${durationText(r.olderThanMs)}${wait}`;
    case 'error-rate':
      return `${(r.count ?? ['errored', 'dead']).join('/')} above ${r.abovePercent}% over ${durationText(r.windowMs)}${wait}`;
    case 'inactivity':
      return `nothing received for ${durationText(r.silentForMs)}${r.activeHours ? ` (${r.activeHours.from}–${r.activeHours.to})` : ''}`;
    case 'destination-failing':
      return `deliveries failing${wait}`;
    case 'flow-step-dead':
      return `a flow step dead${wait}`;
    case 'certificate-expiry':
      return `certificate expiring within ${r.withinDays} days`;
    case 'replay-failed':
      return `a replay failed${r.withinMs ? ` (within ${durationText(r.withinMs)})` : ''}`;
    default:
      return r satisfies never;
  }
}

/** What a rule watches: its channel/destination/flow, or every one. */
export const ruleScope = (r: AlertRuleDefinition) =>
  [
    'channelId' in r && r.channelId && `channel ${r.channelId}`,
    'destinationId' in r && r.destinationId && `destination ${r.destinationId}`,
    'flowId' in r && r.flowId && `flow ${r.flowId}`,
  ]
    .filter(Boolean)
    .join(' · ') || 'each';
