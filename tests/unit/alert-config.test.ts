import test from 'ava';
import { SwitchboardError } from '../../engine/errors.ts';
import { assertAlertSettings, smtpRecipients } from '../../engine/ops/alerts/alert-config.ts';

const allow = ['localhost', '127.0.0.1', 'mail.hospital.test'];

test('alert settings are checked whole at start: a webhook needs its secret, SMTP its recipients, both an allowed host', (t) => {
  const refused = (config: Parameters<typeof assertAlertSettings>[0]) => {
    const err = t.throws(() => assertAlertSettings(config, allow), { instanceOf: SwitchboardError });
    t.is(err?.code, 'CONFIG_INVALID');
    return err?.message ?? '';
  };
  t.regex(refused({ ALERT_WEBHOOK_URL: 'http://localhost:9000/hook' }), /ALERT_WEBHOOK_URL needs ALERT_WEBHOOK_SECRET/);
  t.regex(refused({ ALERT_SMTP_HOST: 'mail.hospital.test', ALERT_SMTP_TO: ' , ' }), /ALERT_SMTP_HOST needs ALERT_SMTP_TO/);
  t.regex(
    refused({ ALERT_WEBHOOK_URL: 'http://169.254.169.254/hook', ALERT_WEBHOOK_SECRET: 'a-webhook-secret-of-16+' }),
    /ALERT_WEBHOOK_URL: host 169\.254\.169\.254 is not in ALLOWED_DESTINATION_HOSTS/,
  );
  t.regex(refused({ ALERT_SMTP_HOST: 'mail.example.org', ALERT_SMTP_TO: 'ops@hospital.test' }), /ALERT_SMTP_HOST: host mail\.example\.org/);
  t.notThrows(() => assertAlertSettings({}, allow), 'no notification settings: console only');
  t.notThrows(() =>
    assertAlertSettings(
      {
        ALERT_WEBHOOK_URL: 'http://localhost:9000/hook',
        ALERT_WEBHOOK_SECRET: 'a-webhook-secret-of-16+',
        ALERT_SMTP_HOST: 'mail.hospital.test',
        ALERT_SMTP_TO: 'ops@hospital.test',
      },
      allow,
    ),
  );
});

test('ALERT_SMTP_TO: comma-separated addresses, trimmed, empty ones dropped', (t) => {
  t.deepEqual(smtpRecipients(' ops@hospital.test, ,oncall@hospital.test '), ['ops@hospital.test', 'oncall@hospital.test']);
  t.deepEqual(smtpRecipients(undefined), []);
});
