import type {
  AlertRuleKind,
  AlertState,
  AlertSubject,
  AlertWebhookBody,
  NotificationChannel,
  NotificationEvent,
  NotificationOutcome,
} from './alert-api-types.ts';

/*
 * The alerts' documents in the store: small ones, each written by equality on `_id` and read by
 * equality on a top-level field (`open`, `ruleId`, `alertId`, `state`), so FerretDB passes every
 * filter down (see engine/store/message-list.ts).
 */

/** The instance collection: one document per alert, from pending to resolved (history kept). */
export const ALERT_INSTANCES_COLLECTION = 'alert_instances';
/** The notifications collection: one document per notification and channel (the outbox, then the record). */
export const ALERT_NOTIFICATIONS_COLLECTION = 'alert_notifications';
/** The silences collection. */
export const ALERT_SILENCES_COLLECTION = 'alert_silences';

/** One alert instance: a rule's condition for one subject, from pending to resolved. */
export interface AlertInstanceRecord {
  /** A UUIDv7 (time-ordered). */
  _id: string;
  ruleId: string;
  ruleVersion: number;
  kind: AlertRuleKind;
  severity: 'info' | 'warning' | 'critical';
  /** What the condition is about, as a key unique within the rule (`<channel>/<destination>`, `*` for all). */
  subjectKey: string;
  subject: AlertSubject;
  state: AlertState;
  /** Set while pending or firing: what each evaluation pass reads. */
  open?: true;
  value: number | null;
  threshold: number | null;
  summary: string;
  startedAt: Date;
  firedAt?: Date;
  resolvedAt?: Date;
  lastEvaluatedAt: Date;
  /** When the last firing or repeat notification was made (sent or suppressed). */
  lastNotifiedAt?: Date;
  /** Whether its firing was notified (not suppressed by a silence): only then is its resolution. */
  firingNotified: boolean;
  history: { state: AlertState; at: Date; value: number | null }[];
}

/** A notification in the outbox: `pending` (not tried), `retrying` (due again at nextAttemptAt); then sent, failed or suppressed. */
export type NotificationRecordState = NotificationOutcome;

/** One notification of one alert event on one channel: queued (pending), then sent, retrying, failed, or suppressed. */
export interface NotificationRecord {
  _id: string;
  alertId: string;
  ruleId: string;
  event: NotificationEvent;
  channel: Exclude<NotificationChannel, 'console'>;
  state: NotificationRecordState;
  /** What is sent (the e-mail says the same in text): ids, counts and times only. */
  body: AlertWebhookBody;
  attempts: number;
  nextAttemptAt?: Date;
  /** The error code (engine/errors.ts) of the last failed attempt. */
  lastErrorCode?: string;
  createdAt: Date;
  updatedAt: Date;
}

/** A silence: the alerts of a rule (or one of them) send nothing until `until`. */
export interface SilenceRecord {
  _id: string;
  ruleId: string;
  alertId?: string;
  until: Date;
  reason: string;
  createdBy: string;
  createdAt: Date;
  endedAt?: Date;
  endedBy?: string;
}

/** Whether `silence` holds at `now` for an alert of `ruleId` (`alertId`). */
export function silences(silence: SilenceRecord, ruleId: string, alertId: string | undefined, now: Date): boolean {
  if (silence.ruleId !== ruleId || silence.endedAt || silence.until.getTime() <= now.getTime()) return false;
  return silence.alertId === undefined || silence.alertId === alertId;
}
