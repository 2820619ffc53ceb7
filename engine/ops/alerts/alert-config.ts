import { Type } from '@sinclair/typebox';
import { SwitchboardError } from '../../errors.ts';
import { assertHostsAllowed } from '../../security/host-allowlist.ts';

/**
 * The alerts' settings, spread into EngineConfigSchema (config.ts): read from the environment like
 * every other setting. Without ALERT_WEBHOOK_URL no webhook is sent, without ALERT_SMTP_HOST no
 * e-mail; the console lists alerts either way.
 */
export const AlertConfigProperties = {
  ALERT_EVAL_INTERVAL_MS: Type.Integer({
    default: 15_000,
    minimum: 100,
    description: 'How often the alert rules are evaluated (by one worker process of the deployment at a time).',
  }),
  ALERT_WEBHOOK_URL: Type.Optional(
    Type.String({
      pattern: '^https?://',
      description:
        'Where alert notifications are POSTed as JSON (its host in ALLOWED_DESTINATION_HOSTS; no redirect followed); unset: no webhook.',
    }),
  ),
  ALERT_WEBHOOK_SECRET: Type.Optional(
    Type.String({
      minLength: 16,
      description: 'Key of the HMAC-SHA256 signature of each webhook (X-Switchboard-Signature); required with ALERT_WEBHOOK_URL. A secret.',
    }),
  ),
  ALERT_SMTP_HOST: Type.Optional(
    Type.String({ minLength: 1, description: 'SMTP server for alert e-mail (in ALLOWED_DESTINATION_HOSTS); unset: no e-mail.' }),
  ),
  ALERT_SMTP_PORT: Type.Integer({ default: 25, minimum: 1, maximum: 65535, description: 'SMTP port (465: TLS from the start).' }),
  ALERT_SMTP_FROM: Type.String({ default: 'switchboard@localhost', description: 'Sender address of alert e-mail.' }),
  ALERT_SMTP_TO: Type.Optional(Type.String({ minLength: 3, description: 'Recipients of alert e-mail, comma-separated.' })),
  ALERT_SMTP_USER: Type.Optional(Type.String({ minLength: 1, description: 'SMTP user, when the server wants one.' })),
  ALERT_SMTP_PASSWORD: Type.Optional(Type.String({ minLength: 1, description: 'SMTP password of ALERT_SMTP_USER. A secret.' })),
  ALERT_NOTIFY_ATTEMPTS: Type.Integer({ default: 8, minimum: 1, description: 'Attempts of one notification before it is failed.' }),
  ALERT_NOTIFY_INITIAL_DELAY_MS: Type.Integer({
    default: 1000,
    minimum: 10,
    description: 'First backoff of a failed notification; doubles each attempt (±20%), as a delivery.',
  }),
  ALERT_NOTIFY_MAX_DELAY_MS: Type.Integer({ default: 300_000, minimum: 10, description: 'Cap on one notification backoff.' }),
  ALERT_SOURCE_NAME: Type.Optional(
    Type.String({ minLength: 1, maxLength: 100, description: 'Names this deployment in notifications; default: the host name.' }),
  ),
};

/** The addresses of ALERT_SMTP_TO (comma-separated), trimmed; empty ones dropped. */
export const smtpRecipients = (to: string | undefined): string[] =>
  (to ?? '')
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);

/**
 * CONFIG_INVALID for alert notification settings that cannot work: a webhook without the secret
 * its signatures need, SMTP without recipients, or a webhook or SMTP host outside
 * ALLOWED_DESTINATION_HOSTS (notifications leave by the same egress allow-list as deliveries: no
 * server-side request forgery). engine.ts calls it at start, before anything is opened, so a
 * misconfigured engine stops before it touches the store or the queues.
 */
export function assertAlertSettings(
  config: {
    ALERT_WEBHOOK_URL?: string | undefined;
    ALERT_WEBHOOK_SECRET?: string | undefined;
    ALERT_SMTP_HOST?: string | undefined;
    ALERT_SMTP_TO?: string | undefined;
  },
  allow: readonly string[],
): void {
  if (config.ALERT_WEBHOOK_URL) {
    if (!config.ALERT_WEBHOOK_SECRET)
      throw new SwitchboardError('CONFIG_INVALID', 'ALERT_WEBHOOK_URL needs ALERT_WEBHOOK_SECRET (signatures)');
    assertHostsAllowed({ where: 'ALERT_WEBHOOK_URL', config: config.ALERT_WEBHOOK_URL, allow });
  }
  if (config.ALERT_SMTP_HOST) {
    if (smtpRecipients(config.ALERT_SMTP_TO).length === 0)
      throw new SwitchboardError('CONFIG_INVALID', 'ALERT_SMTP_HOST needs ALERT_SMTP_TO (recipients)');
    assertHostsAllowed({ where: 'ALERT_SMTP_HOST', config: { host: config.ALERT_SMTP_HOST }, allow });
  }
}
