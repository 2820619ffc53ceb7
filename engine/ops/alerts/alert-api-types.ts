/**
 * The alerts' named states and the JSON the admin API answers, shared by the engine and the
 * console (which imports this file's types only). Everything here is ids, counts, thresholds and
 * times: an alert never carries patient data.
 *
 * Routes (served where HTTP is served; `alerts:read` to look, `alerts:write` to change):
 * - `GET  /api/alerts`                      alerts now pending or firing (`?state=pending|firing`): {@link AlertList}
 * - `GET  /api/alerts/history`              instances newest first, resolved included, no notifications (`?ruleId=&state=&limit=`)
 * - `GET  /api/alerts/:alertId`             one alert instance with its history and notifications: {@link AlertInstanceJson}
 * - `GET  /api/alert-rules`                 every rule: its latest version and deployment: {@link AlertRuleList}
 * - `GET  /api/alert-rules/:id`             one rule (latest, or `?version=`): {@link AlertRuleJson}
 * - `GET  /api/alert-rules/:id/versions`    its versions, newest first: {@link AlertRuleVersionList}
 * - `GET  /api/alert-rules/:id/diff`        `?from=&to=`: what changed: {@link AlertRuleDiffJson}
 * - `POST /api/alert-rules/validate`        a definition checked, not saved: {@link AlertRuleValidation}
 * - `POST /api/alert-rules`                 save a definition as the rule's next version (`?comment=`): 201 new, 200 unchanged,
 *                                           400 `alert-rule-invalid` with `problems`: {@link AlertRuleVersionJson}
 * - `POST /api/alert-rules/:id/deploy`      body `{ version? }` (default latest): evaluate it: {@link AlertRuleDeploymentJson}
 * - `POST /api/alert-rules/:id/enable`      evaluate the deployed version again: {@link AlertRuleDeploymentJson}
 * - `POST /api/alert-rules/:id/disable`     stop evaluating (its open alerts resolve without notification): {@link AlertRuleDeploymentJson}
 * - `GET  /api/alert-rules/export`          every rule's latest version as a bundle: {@link AlertRuleBundle}
 * - `POST /api/alert-rules/import`          a bundle saved (origin `import`), each rule its next version: {@link AlertRuleImportResult}
 * - `GET  /api/alert-silences`              silences, active first (`?active=true` for only those): {@link AlertSilenceList}
 * - `POST /api/alert-silences`              body {@link AlertSilenceRequest}: 201 {@link AlertSilenceJson}
 * - `DELETE /api/alert-silences/:id`        end a silence now: {@link AlertSilenceJson}
 *
 * Errors are RFC 9457 problems (`NOT_FOUND`, `CONFIG_INVALID`, `CONFLICT`, `STORE_UNAVAILABLE`).
 * Times are ISO 8601 strings in JSON.
 */

/** An alert instance's state: pending (condition true, not yet for `forMs`) → firing → resolved. */
export const AlertState = { pending: 'pending', firing: 'firing', resolved: 'resolved' } as const;
export type AlertState = (typeof AlertState)[keyof typeof AlertState];

/** What a rule watches. Each kind has its own parameters ({@link AlertRuleDefinition}). */
export const AlertRuleKind = {
  /** A destination's delivery queue holds more than `above` jobs waiting for `forMs`. */
  queueDepth: 'queue-depth',
  /** A destination's oldest waiting job has waited longer than `olderThanMs`. */
  oldestWaiting: 'oldest-waiting',
  /** Errored and/or dead messages above `abovePercent` of those received over `windowMs` (per channel or all). */
  errorRate: 'error-rate',
  /** A channel received nothing for `silentForMs`, counted only within its schedule (days, hours, time zone). */
  inactivity: 'inactivity',
  /** A destination has had deliveries retrying (and none delivered) for `forMs`. */
  destinationFailing: 'destination-failing',
  /** A flow has a step that is dead. */
  flowStepDead: 'flow-step-dead',
  /** A TLS certificate the engine presents or uses expires within `withinDays`. */
  certificateExpiry: 'certificate-expiry',
  /** A replay finished with failed deliveries (within the last `withinMs`). */
  replayFailed: 'replay-failed',
} as const;
export type AlertRuleKind = (typeof AlertRuleKind)[keyof typeof AlertRuleKind];

/** Where a notification goes. The console lists pending and firing alerts always; `console` is implied. */
export const NotificationChannel = { webhook: 'webhook', email: 'email', console: 'console' } as const;
export type NotificationChannel = (typeof NotificationChannel)[keyof typeof NotificationChannel];

/** Why a notification was sent: the alert fired, it resolved, or it is still firing after `repeatIntervalMs`. */
export const NotificationEvent = { firing: 'firing', resolved: 'resolved', repeat: 'repeat' } as const;
export type NotificationEvent = (typeof NotificationEvent)[keyof typeof NotificationEvent];

/** A notification: pending (not tried yet), sent, retrying (a transient failure), failed (for good), suppressed (silenced). */
export const NotificationOutcome = {
  pending: 'pending',
  sent: 'sent',
  retrying: 'retrying',
  failed: 'failed',
  suppressed: 'suppressed',
} as const;
export type NotificationOutcome = (typeof NotificationOutcome)[keyof typeof NotificationOutcome];

/** `enabled`: its deployed version is evaluated; `disabled`: kept, not evaluated; `undeployed`: saved, never deployed. */
export const AlertRuleState = { enabled: 'enabled', disabled: 'disabled', undeployed: 'undeployed' } as const;
export type AlertRuleState = (typeof AlertRuleState)[keyof typeof AlertRuleState];

/** Where a TLS certificate is used, for `certificate-expiry` rules and `switchboard_tls_certificate_expiry_seconds{role}`. */
export const CertificateRole = {
  /** An MLLP source's server certificate (`tls.certFile` of the source). */
  mllpSource: 'mllp-source',
  /** The admin HTTPS server's certificate (config `tls`). */
  httpsServer: 'https-server',
  /** A destination's client certificate (`tls.clientCertificate.certFile`). */
  destinationClient: 'destination-client',
} as const;
export type CertificateRole = (typeof CertificateRole)[keyof typeof CertificateRole];

export const Weekday = { mon: 'mon', tue: 'tue', wed: 'wed', thu: 'thu', fri: 'fri', sat: 'sat', sun: 'sun' } as const;
export type Weekday = (typeof Weekday)[keyof typeof Weekday];

/**
 * When an inactivity rule counts silence: on these days, from `from` to `to` (`HH:MM`, 24 h, `to` exclusive;
 * `to` before `from` spans midnight), in `timeZone` (IANA).
 */
export interface ActiveHours {
  days: Weekday[];
  from: string;
  to: string;
  timeZone: string;
}

/** Settings every rule has. */
export interface AlertRuleCommon {
  /** Lower-case letters, digits and dashes, as channel ids. */
  id: string;
  description?: string;
  /** `info`, `warning` (default) or `critical`: carried in notifications. */
  severity?: 'info' | 'warning' | 'critical';
  /** How long the condition must hold before the alert fires (pending until then); default 0. */
  forMs?: number;
  /** While firing, notify again this often; 0 (default) never repeats. */
  repeatIntervalMs?: number;
  /** Where notifications go, besides the console; default `['webhook', 'email']` (those configured). */
  notify?: NotificationChannel[];
}

/** Each kind's own parameters. A rule without `channelId`/`destinationId` watches each one as its own subject. */
export type AlertRuleDefinition = AlertRuleCommon &
  (
    | { kind: 'queue-depth'; channelId?: string; destinationId?: string; above: number }
    | { kind: 'oldest-waiting'; channelId?: string; destinationId?: string; olderThanMs: number }
    | {
        kind: 'error-rate';
        /** One channel; omitted: all channels together. */
        channelId?: string;
        /** Which outcomes count as failures; default both. */
        count?: ('errored' | 'dead')[];
        abovePercent: number;
        /** The last whole minutes (the current one included; rounded up), at most 2 hours: messages are counted by their minute. */
        windowMs: number;
        /** Fewer messages received in the window never fire; default 1. */
        minMessages?: number;
      }
    | { kind: 'inactivity'; channelId: string; silentForMs: number; activeHours?: ActiveHours }
    | { kind: 'destination-failing'; channelId?: string; destinationId?: string }
    | { kind: 'flow-step-dead'; flowId?: string }
    | { kind: 'certificate-expiry'; withinDays: number; roles?: CertificateRole[] }
    | { kind: 'replay-failed'; withinMs?: number }
  );

/** What an alert is about: the ids the condition names (none for an all-channel error rate). */
export interface AlertSubject {
  channelId?: string;
  destinationId?: string;
  flowId?: string;
  replayId?: string;
  certificateRole?: CertificateRole;
}

/** One version of a rule as the API lists it. */
export interface AlertRuleVersionJson {
  id: string;
  version: number;
  origin: 'console' | 'import' | 'file' | 'shipped';
  author: string;
  comment: string | null;
  at: string;
}

/** Which version of a rule is evaluated, and whether. */
export interface AlertRuleDeploymentJson {
  id: string;
  state: AlertRuleState;
  /** The deployed version; null when never deployed. */
  version: number | null;
  updatedAt: string | null;
  updatedBy: string | null;
}

/** A rule: one version's definition and the rule's deployment. */
export interface AlertRuleJson extends AlertRuleVersionJson {
  kind: AlertRuleKind;
  definition: AlertRuleDefinition;
  deployment: AlertRuleDeploymentJson;
  /** Its pending and firing alerts now. */
  open: number;
}

export type AlertRuleList = { items: AlertRuleJson[] };
export type AlertRuleVersionList = { items: AlertRuleVersionJson[] };

/** One problem with a definition: a JSON pointer and what is wrong. */
export type AlertRuleProblem = { path: string; message: string };
export type AlertRuleValidation = { valid: boolean; problems: AlertRuleProblem[] };

export interface AlertRuleDiffJson {
  id: string;
  from: number;
  to: number;
  /** Each setting that differs, by JSON pointer. */
  changes: { path: string; from: unknown; to: unknown }[];
}

export interface AlertRuleBundle {
  format: 'switchboard-alert-rules';
  version: 1;
  rules: AlertRuleDefinition[];
}
export type AlertRuleImportResult = { items: { id: string; version: number; created: boolean }[] };

/** One step of an alert instance's life. */
export interface AlertTransitionJson {
  state: AlertState;
  at: string;
  /** The observed value then (a depth, a percentage, milliseconds, days…). */
  value: number | null;
}

/** One notification of an alert. */
export interface AlertNotificationJson {
  event: NotificationEvent;
  channel: Exclude<NotificationChannel, 'console'>;
  outcome: NotificationOutcome;
  attempts: number;
  at: string;
  /** The error code (errors.ts) of its last failed attempt, if one failed (a notification sent on a retry keeps it). */
  code?: string;
}

/** An alert instance: one rule, one subject, from pending to resolved. */
export interface AlertInstanceJson {
  id: string;
  ruleId: string;
  ruleVersion: number;
  kind: AlertRuleKind;
  severity: 'info' | 'warning' | 'critical';
  subject: AlertSubject;
  state: AlertState;
  /** The observed value at the last evaluation, and the rule's threshold it is compared with. */
  value: number | null;
  threshold: number | null;
  /** A one-line summary of ids and counts (never patient data). */
  summary: string;
  startedAt: string;
  firedAt: string | null;
  resolvedAt: string | null;
  lastEvaluatedAt: string;
  /** Until when a silence holds its notifications, when one does. */
  silencedUntil: string | null;
  history: AlertTransitionJson[];
  notifications: AlertNotificationJson[];
}

export type AlertList = { items: AlertInstanceJson[] };

/** `POST /api/alert-silences`: silence a rule (all its alerts) or one alert, until a time, with a reason. */
export interface AlertSilenceRequest {
  ruleId: string;
  /** One alert of the rule; omitted: every alert of the rule. */
  alertId?: string;
  /** ISO 8601, in the future. */
  until: string;
  reason: string;
}

export interface AlertSilenceJson {
  id: string;
  ruleId: string;
  alertId: string | null;
  until: string;
  reason: string;
  createdBy: string;
  createdAt: string;
  /** When it was ended early (DELETE), else null. */
  endedAt: string | null;
  endedBy: string | null;
  active: boolean;
}

export type AlertSilenceList = { items: AlertSilenceJson[] };

/**
 * The JSON body of a webhook notification (the e-mail says the same in text). Headers:
 * `X-Switchboard-Timestamp` (Unix seconds) and `X-Switchboard-Signature: sha256=<hex>`, the
 * HMAC-SHA256 with the webhook secret of `<timestamp>.<body>` (the body's bytes as sent), so a
 * receiver checks both and refuses old timestamps (see alert-signature.ts).
 */
export interface AlertWebhookBody {
  event: NotificationEvent;
  alert: Pick<
    AlertInstanceJson,
    | 'id'
    | 'ruleId'
    | 'ruleVersion'
    | 'kind'
    | 'severity'
    | 'subject'
    | 'state'
    | 'value'
    | 'threshold'
    | 'summary'
    | 'startedAt'
    | 'firedAt'
    | 'resolvedAt'
  >;
  /** When this notification was made. */
  at: string;
  /** Which engine sent it (config `alerts.instanceName`, default the host name). */
  source: string;
}
