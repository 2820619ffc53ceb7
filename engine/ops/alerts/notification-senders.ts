import nodemailer, { type Transporter } from 'nodemailer';
import { SwitchboardError, toDeliveryFailure } from '../../errors.ts';
import { classifyHttpAnswer } from '../../peer-answer.ts';
import type { AlertWebhookBody } from './alert-api-types.ts';
import type { NotificationRecord } from './alert-records.ts';
import { NOTIFICATION_ID_HEADER, SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER } from './alert-signature.ts';

/** Sends one notification; throws a classified SwitchboardError (its code decides the retry, as a delivery's). */
export interface NotificationSender {
  send(n: NotificationRecord): Promise<void>;
  close(): Promise<void>;
}

/** How long one attempt may take. */
const ATTEMPT_TIMEOUT_MS = 10_000;

/**
 * POSTs the notification's JSON body to ALERT_WEBHOOK_URL, signed (alert-signature.ts), with the
 * notification's id in X-Switchboard-Notification-Id (the same on every retry, so the receiver can
 * drop a repeat). 2xx: sent; any other answer is classified as a destination's (classifyHttpAnswer:
 * 429, 5xx with Retry-After, 408, the rest, a redirect included, rejected); a request that never connected
 * PEER_NOT_CONNECTED, one that got no answer in 10 s PEER_TIMEOUT (toDeliveryFailure's codes).
 */
export class WebhookSender implements NotificationSender {
  constructor(private readonly o: { url: string; secret: string }) {}

  async send(n: NotificationRecord): Promise<void> {
    const body = JSON.stringify(n.body);
    const timestamp = Math.floor(Date.now() / 1000);
    let res: Response;
    try {
      res = await fetch(this.o.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'switchboard-alerts',
          [TIMESTAMP_HEADER]: String(timestamp),
          [SIGNATURE_HEADER]: signWebhook(this.o.secret, timestamp, body),
          [NOTIFICATION_ID_HEADER]: n._id,
        },
        body,
        // As the deliveries: a 3xx is an answer (rejected), never followed to a host nobody checked.
        redirect: 'manual',
        signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
      });
    } catch (err) {
      if ((err as Error).name === 'TimeoutError')
        throw new SwitchboardError('PEER_TIMEOUT', 'the webhook did not answer in time', { cause: err });
      throw toDeliveryFailure(err);
    }
    await res.body?.cancel().catch(() => undefined);
    if (!res.ok) throw classifyHttpAnswer(res.status, Object.fromEntries(res.headers), { peer: 'the webhook', peerResponse: '' });
  }

  async close(): Promise<void> {}
}

/** The e-mail of a notification: a subject naming the rule and the event, and the body's facts, one a line. */
export function emailText(body: AlertWebhookBody): { subject: string; text: string } {
  const a = body.alert;
  const subject = `[switchboard ${a.severity}] ${body.event.toUpperCase()}: ${a.ruleId} (${a.kind})`;
  const subject_ = Object.entries(a.subject).map(([k, v]) => `${k}=${String(v)}`);
  const lines = [
    a.summary,
    '',
    `event: ${body.event}`,
    `rule: ${a.ruleId} version ${a.ruleVersion} (${a.kind}, ${a.severity})`,
    `subject: ${subject_.join(' ') || 'all'}`,
    `value: ${a.value ?? '-'} (threshold ${a.threshold ?? '-'})`,
    `started: ${a.startedAt}`,
    `fired: ${a.firedAt ?? '-'}`,
    `resolved: ${a.resolvedAt ?? '-'}`,
    `alert: ${a.id}`,
    `from: ${body.source} at ${body.at}`,
  ];
  return { subject, text: `${lines.join('\n')}\n` };
}

/** SMTP error codes of nodemailer that name what happened. */
function classifySmtp(err: unknown): SwitchboardError {
  const e = err as { code?: string; originalCode?: string; responseCode?: number };
  if (typeof e.responseCode === 'number')
    return new SwitchboardError(e.responseCode >= 500 ? 'PEER_REJECTED' : 'PEER_UNAVAILABLE', `the SMTP server answered ${e.responseCode}`);
  if (e.originalCode) return toDeliveryFailure({ name: 'Error', code: e.originalCode });
  if (e.code === 'ETIMEDOUT') return new SwitchboardError('PEER_TIMEOUT', 'the SMTP server did not answer in time');
  if (e.code === 'ECONNECTION' || e.code === 'EDNS')
    return new SwitchboardError('PEER_NOT_CONNECTED', `cannot reach the SMTP server (${e.code})`);
  if (e.code === 'EAUTH' || e.code === 'EENVELOPE' || e.code === 'EMESSAGE' || e.code === 'ETLS' || e.code === 'EREQUIRETLS')
    return new SwitchboardError('PEER_REJECTED', `the SMTP server refused the message (${e.code})`);
  return toDeliveryFailure(err);
}

/**
 * E-mail over SMTP (nodemailer): from ALERT_SMTP_FROM to ALERT_SMTP_TO, plain text (emailText),
 * STARTTLS when the server offers it (TLS from the start on port 465), with the notification's id
 * in X-Switchboard-Notification-Id. A 4xx answer is PEER_UNAVAILABLE, 5xx PEER_REJECTED, a refused
 * connection PEER_NOT_CONNECTED.
 */
export class EmailSender implements NotificationSender {
  private readonly transport: Transporter;

  constructor(private readonly o: { host: string; port: number; from: string; to: string[]; user?: string; password?: string }) {
    this.transport = nodemailer.createTransport({
      host: o.host,
      port: o.port,
      secure: o.port === 465,
      ...(o.user ? { auth: { user: o.user, pass: o.password ?? '' } } : {}),
      connectionTimeout: ATTEMPT_TIMEOUT_MS,
      greetingTimeout: ATTEMPT_TIMEOUT_MS,
      socketTimeout: ATTEMPT_TIMEOUT_MS,
    });
  }

  async send(n: NotificationRecord): Promise<void> {
    const { subject, text } = emailText(n.body);
    try {
      await this.transport.sendMail({
        from: this.o.from,
        to: this.o.to,
        subject,
        text,
        headers: { 'X-Switchboard-Notification-Id': n._id },
      });
    } catch (err) {
      throw classifySmtp(err);
    }
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}
