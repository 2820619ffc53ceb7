import { AlertState, NotificationEvent, type AlertRuleKind, type AlertSubject } from './alert-api-types.ts';
import type { AlertInstanceRecord } from './alert-records.ts';

/** What a rule's condition says about one subject at one evaluation (alert-conditions.ts makes them). */
export interface Observation {
  subjectKey: string;
  subject: AlertSubject;
  /** Whether the condition holds now. */
  active: boolean;
  value: number | null;
  threshold: number | null;
  /** Ids and counts, never patient data. */
  summary: string;
}

/** The rule as the state machine needs it. */
export interface RuleTiming {
  id: string;
  version: number;
  kind: AlertRuleKind;
  severity: 'info' | 'warning' | 'critical';
  forMs: number;
  repeatIntervalMs: number;
}

/** What one step decided: the instance to write (none: nothing to keep), and the notification it makes. */
export interface AlertStep {
  /** The instance after the step; undefined when there is none (nothing observed, or a pending alert that cleared). */
  next: AlertInstanceRecord | undefined;
  /** A pending alert whose condition cleared before `forMs`: its document is removed. */
  dropped: boolean;
  /** The notification this step makes, and whether a silence suppresses it (then it is recorded, not sent). */
  notify?: { event: NotificationEvent; suppressed: boolean };
}

/**
 * One evaluation of one rule for one subject: pending → firing → resolved, as Prometheus does.
 * - no alert, condition true: a pending alert (which fires at once when `forMs` is 0);
 * - pending: fires once the condition has held `forMs` since it began; cleared before: dropped, unnotified;
 * - firing: one `firing` notification when it fires; `repeat` every `repeatIntervalMs` (0: never) while it fires;
 *   `resolved` when the condition clears, only if its firing was notified;
 * - silenced: every notification it would make is recorded as suppressed; a firing that was
 *   suppressed is notified once the silence ends while the alert still fires.
 * Pure: `now` and `newId` are given.
 */
export function stepAlert(o: {
  current: AlertInstanceRecord | undefined;
  observation: Observation;
  rule: RuleTiming;
  now: Date;
  silenced: boolean;
  newId: () => string;
}): AlertStep {
  const { observation: obs, now, rule } = o;
  if (!o.current) {
    if (!obs.active) return { next: undefined, dropped: false };
    const pending: AlertInstanceRecord = {
      _id: o.newId(),
      ruleId: rule.id,
      ruleVersion: rule.version,
      kind: rule.kind,
      severity: rule.severity,
      subjectKey: obs.subjectKey,
      subject: obs.subject,
      state: AlertState.pending,
      open: true,
      value: obs.value,
      threshold: obs.threshold,
      summary: obs.summary,
      startedAt: now,
      lastEvaluatedAt: now,
      firingNotified: false,
      history: [{ state: AlertState.pending, at: now, value: obs.value }],
    };
    return rule.forMs <= 0 ? fire(pending, now, o.silenced) : { next: pending, dropped: false };
  }
  const current = { ...o.current, value: obs.value, threshold: obs.threshold, summary: obs.summary, lastEvaluatedAt: now };
  current.ruleVersion = rule.version;
  current.severity = rule.severity;
  switch (current.state) {
    case AlertState.pending:
      if (!obs.active) return { next: undefined, dropped: true };
      return now.getTime() - current.startedAt.getTime() >= rule.forMs ? fire(current, now, o.silenced) : { next: current, dropped: false };
    case AlertState.firing:
      if (!obs.active) return resolve(current, now, o.silenced);
      return stillFiring(current, now, rule.repeatIntervalMs, o.silenced);
    case AlertState.resolved:
      // A resolved alert is history: a new one begins if the condition holds again.
      return stepAlert({ ...o, current: undefined });
    default:
      return current.state satisfies never;
  }
}

function fire(alert: AlertInstanceRecord, now: Date, silenced: boolean): AlertStep {
  const next: AlertInstanceRecord = {
    ...alert,
    state: AlertState.firing,
    firedAt: now,
    lastNotifiedAt: now,
    firingNotified: !silenced,
    history: [...alert.history, { state: AlertState.firing, at: now, value: alert.value }],
  };
  return { next, dropped: false, notify: { event: NotificationEvent.firing, suppressed: silenced } };
}

function resolve(alert: AlertInstanceRecord, now: Date, silenced: boolean): AlertStep {
  const { open: _open, ...closed } = alert;
  const next: AlertInstanceRecord = {
    ...closed,
    state: AlertState.resolved,
    resolvedAt: now,
    history: [...alert.history, { state: AlertState.resolved, at: now, value: alert.value }],
  };
  return { next, dropped: false, ...(alert.firingNotified ? { notify: { event: NotificationEvent.resolved, suppressed: silenced } } : {}) };
}

function stillFiring(alert: AlertInstanceRecord, now: Date, repeatIntervalMs: number, silenced: boolean): AlertStep {
  if (!alert.firingNotified) {
    if (silenced) return { next: alert, dropped: false };
    // Its firing was suppressed and the silence has ended: notified now, once.
    return {
      next: { ...alert, firingNotified: true, lastNotifiedAt: now },
      dropped: false,
      notify: { event: NotificationEvent.firing, suppressed: false },
    };
  }
  const last = (alert.lastNotifiedAt ?? alert.firedAt ?? alert.startedAt).getTime();
  if (repeatIntervalMs <= 0 || now.getTime() - last < repeatIntervalMs) return { next: alert, dropped: false };
  return { next: { ...alert, lastNotifiedAt: now }, dropped: false, notify: { event: NotificationEvent.repeat, suppressed: silenced } };
}
