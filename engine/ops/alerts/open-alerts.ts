import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { AuditLog } from '../../audit/audit-log.ts';
import type { ChannelDefinition } from '../../channel.ts';
import type { EngineConfig } from '../../config/config.ts';
import type { Cleanup } from '../../engine-start.ts';
import { toSwitchboardError } from '../../errors.ts';
import { alertRuleRoutes } from '../../http/alert-rules.routes.ts';
import { alertRoutes } from '../../http/alerts.routes.ts';
import type { Logger } from '../../log.ts';
import { certificateMetrics } from '../../metrics/certificate-metrics.ts';
import type { DeliveryQueues } from '../../queue/delivery-queues.ts';
import { RedisLease } from '../../queue/lease.ts';
import type { Store } from '../../store/store.ts';
import type { AlertRuleDefinition } from './alert-api-types.ts';
import { smtpRecipients } from './alert-config.ts';
import { AlertEvaluator } from './alert-evaluator.ts';
import { AlertInstanceStore } from './alert-instance-store.ts';
import { AlertNotifier } from './alert-notifier.ts';
import type { NotificationRecord } from './alert-records.ts';
import { AlertRuleService } from './alert-rule-service.ts';
import { AlertRuleStore } from './alert-rule-store.ts';
import { AlertSignals } from './alert-signals.ts';
import { CertificateReader } from './certificates.ts';
import { EmailSender, WebhookSender, type NotificationSender } from './notification-senders.ts';

/** How often the certificate files are read again for `switchboard_tls_certificate_expiry_seconds`. */
const CERTIFICATE_REFRESH_MS = 60_000;

export interface OpenedAlerts {
  rules: AlertRuleService;
  instances: AlertInstanceStore;
  /** Where workers run. */
  evaluator: AlertEvaluator | undefined;
}

/**
 * The webhook and e-mail senders the settings configure. A half-configured one (no secret, no
 * recipients) was refused at start (assertAlertSettings), before the store opened.
 */
function senders(config: EngineConfig): Partial<Record<NotificationRecord['channel'], NotificationSender>> {
  const out: Partial<Record<NotificationRecord['channel'], NotificationSender>> = {};
  if (config.ALERT_WEBHOOK_URL && config.ALERT_WEBHOOK_SECRET)
    out.webhook = new WebhookSender({ url: config.ALERT_WEBHOOK_URL, secret: config.ALERT_WEBHOOK_SECRET });
  const to = smtpRecipients(config.ALERT_SMTP_TO);
  if (config.ALERT_SMTP_HOST && to.length > 0) {
    const auth = config.ALERT_SMTP_USER
      ? { user: config.ALERT_SMTP_USER, ...(config.ALERT_SMTP_PASSWORD ? { password: config.ALERT_SMTP_PASSWORD } : {}) }
      : {};
    out.email = new EmailSender({ host: config.ALERT_SMTP_HOST, port: config.ALERT_SMTP_PORT, from: config.ALERT_SMTP_FROM, to, ...auth });
  }
  return out;
}

/**
 * The alerts of one engine process (engine.ts calls it once the channels run, before listening):
 * their stores and indexes; the rule files of alerts/ imported when changed; where HTTP is served,
 * the API (alerts:read, alerts:write) and the certificate expiry gauge, refreshed every minute;
 * where workers run, the evaluator (every ALERT_EVAL_INTERVAL_MS, one process of the deployment at
 * a time, under the lease `<QUEUE_PREFIX>:alerts:lease`) and the notifier. Everything it starts is
 * registered in `cleanups`. CONFIG_INVALID for an invalid rule file.
 */
export async function openAlerts(
  o: {
    config: EngineConfig;
    store: Store;
    redis: Redis;
    log: Logger;
    audit: AuditLog;
    /** The admin server, not yet listening; undefined in the worker role. */
    http: FastifyInstance | undefined;
    runsWorkers: boolean;
    channels: ReadonlyMap<string, ChannelDefinition>;
    deliveryQueues: DeliveryQueues;
    flowIds: () => readonly string[];
    httpsCertFile: string | undefined;
    env: NodeJS.ProcessEnv;
    /** The rule files of alerts/ (engine/main.ts reads them). */
    files: readonly AlertRuleDefinition[];
  },
  cleanups: Cleanup[],
): Promise<OpenedAlerts> {
  const { config, log } = o;
  const sending = senders(config);
  const ruleStore = new AlertRuleStore(o.store);
  const instances = new AlertInstanceStore(o.store);
  await Promise.all([ruleStore.start(), instances.start()]);
  const rules = new AlertRuleService({ rules: ruleStore, audit: o.audit });
  await rules.syncFiles(o.files);
  const certificates = new CertificateReader();
  const signals = new AlertSignals({ ...o, certificates });
  if (o.http) await serveAlerts({ http: o.http, rules, instances, audit: o.audit, certificates, signals, log }, cleanups);
  if (!o.runsWorkers) return { rules, instances, evaluator: undefined };
  const intervalMs = config.ALERT_EVAL_INTERVAL_MS;
  // A pass must end within the lease's TTL (at least 10 s); a holder that dies hands over after its rest and the TTL.
  const lease = new RedisLease({ redis: o.redis, key: `${config.QUEUE_PREFIX}:alerts:lease`, ttlMs: Math.max(3 * intervalMs, 10_000) });
  const policy = {
    attempts: config.ALERT_NOTIFY_ATTEMPTS,
    initialDelayMs: config.ALERT_NOTIFY_INITIAL_DELAY_MS,
    maxDelayMs: config.ALERT_NOTIFY_MAX_DELAY_MS,
  };
  let evaluator: AlertEvaluator | undefined;
  const notifier = new AlertNotifier({ instances, senders: sending, policy, active: () => evaluator?.leader ?? false, log });
  const channels = Object.keys(sending) as NotificationRecord['channel'][];
  const source = config.ALERT_SOURCE_NAME ?? hostname();
  evaluator = new AlertEvaluator({ rules: ruleStore, instances, signals, notifier, lease, intervalMs, channels, source, log });
  cleanups.push({ name: 'alert notifier', run: () => notifier.close() });
  cleanups.push({ name: 'alert evaluator', run: () => evaluator.close() });
  evaluator.start();
  return { rules, instances, evaluator };
}

/** Where HTTP is served: the alerts' API, and the certificate expiry gauge read now and every minute. */
async function serveAlerts(
  o: {
    http: FastifyInstance;
    rules: AlertRuleService;
    instances: AlertInstanceStore;
    audit: AuditLog;
    certificates: CertificateReader;
    signals: AlertSignals;
    log: Logger;
  },
  cleanups: Cleanup[],
): Promise<void> {
  o.http.register(alertRuleRoutes, { rules: o.rules, instances: o.instances });
  o.http.register(alertRoutes, { rules: o.rules, instances: o.instances, audit: o.audit });
  const refresh = () =>
    o.certificates
      .read(o.signals.certificateFiles())
      .then((read) =>
        certificateMetrics.set(read.flatMap((c) => (c.notAfter ? [{ role: c.role, source: c.source, notAfter: c.notAfter }] : []))),
      )
      .catch((err: unknown) => void o.log.warn('certificates not read', { code: toSwitchboardError(err).code }));
  await refresh();
  const timer = setInterval(() => void refresh(), CERTIFICATE_REFRESH_MS);
  timer.unref();
  cleanups.push({ name: 'certificate expiry', run: async () => clearInterval(timer) });
}
