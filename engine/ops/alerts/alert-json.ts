import type {
  AlertInstanceJson,
  AlertNotificationJson,
  AlertRuleDeploymentJson,
  AlertRuleJson,
  AlertRuleVersionJson,
  AlertSilenceJson,
  AlertWebhookBody,
  NotificationEvent,
} from './alert-api-types.ts';
import type { AlertInstanceRecord, NotificationRecord, SilenceRecord } from './alert-records.ts';
import { silences } from './alert-records.ts';
import type { AlertRuleStateRecord, AlertRuleVersion } from './alert-rule-store.ts';

/*
 * Store documents as the API's JSON (alert-api-types.ts): dates as ISO strings, absent as null.
 * Every field is an id, a count, a threshold, a state or a time.
 */

const iso = (d: Date | undefined) => (d ? d.toISOString() : null);

export function versionJson(v: AlertRuleVersion): AlertRuleVersionJson {
  return { id: v.id, version: v.version, origin: v.origin, author: v.author, comment: v.comment ?? null, at: v.at.toISOString() };
}

export function deploymentJson(id: string, s: AlertRuleStateRecord | undefined): AlertRuleDeploymentJson {
  return {
    id,
    state: s?.state ?? 'undeployed',
    version: s?.version ?? null,
    updatedAt: iso(s?.updatedAt),
    updatedBy: s?.updatedBy ?? null,
  };
}

export function ruleJson(v: AlertRuleVersion, deployment: AlertRuleStateRecord | undefined, open: number): AlertRuleJson {
  return { ...versionJson(v), kind: v.definition.kind, definition: v.definition, deployment: deploymentJson(v.id, deployment), open };
}

export function notificationJson(n: NotificationRecord): AlertNotificationJson {
  return {
    event: n.event,
    channel: n.channel,
    outcome: n.state,
    attempts: n.attempts,
    at: n.updatedAt.toISOString(),
    ...(n.lastErrorCode ? { code: n.lastErrorCode } : {}),
  };
}

export function instanceJson(
  a: AlertInstanceRecord,
  o: { silences: readonly SilenceRecord[]; notifications?: readonly NotificationRecord[]; now: Date },
): AlertInstanceJson {
  const holding = o.silences.filter((s) => silences(s, a.ruleId, a._id, o.now));
  const until = holding.length === 0 ? null : new Date(Math.max(...holding.map((s) => s.until.getTime())));
  return {
    id: a._id,
    ruleId: a.ruleId,
    ruleVersion: a.ruleVersion,
    kind: a.kind,
    severity: a.severity,
    subject: a.subject,
    state: a.state,
    value: a.value,
    threshold: a.threshold,
    summary: a.summary,
    startedAt: a.startedAt.toISOString(),
    firedAt: iso(a.firedAt),
    resolvedAt: iso(a.resolvedAt),
    lastEvaluatedAt: a.lastEvaluatedAt.toISOString(),
    silencedUntil: iso(until ?? undefined),
    history: a.history.map((h) => ({ state: h.state, at: h.at.toISOString(), value: h.value })),
    notifications: (o.notifications ?? []).map(notificationJson),
  };
}

export function silenceJson(s: SilenceRecord, now: Date): AlertSilenceJson {
  return {
    id: s._id,
    ruleId: s.ruleId,
    alertId: s.alertId ?? null,
    until: s.until.toISOString(),
    reason: s.reason,
    createdBy: s.createdBy,
    createdAt: s.createdAt.toISOString(),
    endedAt: iso(s.endedAt),
    endedBy: s.endedBy ?? null,
    active: !s.endedAt && s.until.getTime() > now.getTime(),
  };
}

/** What a notification says (the webhook's JSON body; the e-mail's text): ids, counts, thresholds, times. */
export function webhookBody(a: AlertInstanceRecord, event: NotificationEvent, source: string, now: Date): AlertWebhookBody {
  const { id, ruleId, ruleVersion, kind, severity, subject, state, value, threshold, summary, startedAt, firedAt, resolvedAt } =
    instanceJson(a, { silences: [], now });
  const alert = { id, ruleId, ruleVersion, kind, severity, subject, state, value, threshold, summary, startedAt, firedAt, resolvedAt };
  return { event, alert, at: now.toISOString(), source };
}
