import test from 'ava';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SwitchboardError } from '../../engine/errors.ts';
import type { NotificationRecord } from '../../engine/ops/alerts/alert-records.ts';
import { verifyWebhook } from '../../engine/ops/alerts/alert-signature.ts';
import { EmailSender, WebhookSender } from '../../engine/ops/alerts/notification-senders.ts';
import { freePort } from '../support/careful-sender.ts';
import { startSmtpServer } from '../support/smtp-server.ts';

const SECRET = 'senders-test-secret-0123456789';

const notification: NotificationRecord = {
  _id: '0190a1b2-0000-7000-8000-000000000001',
  alertId: '0190a1b2-0000-7000-8000-0000000000aa',
  ruleId: 'erp-down',
  event: 'firing',
  channel: 'webhook',
  state: 'pending',
  body: {
    event: 'firing',
    alert: {
      id: '0190a1b2-0000-7000-8000-0000000000aa',
      ruleId: 'erp-down',
      ruleVersion: 3,
      kind: 'destination-failing',
      severity: 'critical',
      subject: { channelId: 'ehr-mllp', destinationId: 'erp' },
      state: 'firing',
      value: 4,
      threshold: 0,
      summary: 'destination erp of channel ehr-mllp: 4 deliveries retrying',
      startedAt: '2026-01-07T12:00:00.000Z',
      firedAt: '2026-01-07T12:02:00.000Z',
      resolvedAt: null,
    },
    at: '2026-01-07T12:02:00.000Z',
    source: 'senders-test',
  },
  attempts: 0,
  createdAt: new Date(),
  updatedAt: new Date(),
};

/** A server answering each request with the next of `answers` (status and headers), recording what it got. */
async function answering(answers: { status: number; headers?: Record<string, string> }[]) {
  const got: { headers: http.IncomingHttpHeaders; body: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      got.push({ headers: req.headers, body });
      const a = answers[Math.min(got.length - 1, answers.length - 1)]!;
      res.writeHead(a.status, a.headers).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { url, got, close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))) };
}

const codeOf = async (p: Promise<unknown>) => {
  try {
    await p;
    return 'sent';
  } catch (err) {
    const e = err as SwitchboardError;
    return `${e.code}/${e.failureClass}${e.retryAfterMs === undefined ? '' : `/${e.retryAfterMs}`}`;
  }
};

test('webhook: the signed JSON body on 2xx; failures classified by status as a delivery; no redirect followed', async (t) => {
  const peer = await answering([
    { status: 204 },
    { status: 503, headers: { 'retry-after': '7' } },
    { status: 429 },
    { status: 408 },
    { status: 400 },
    { status: 302, headers: { location: '/moved' } },
  ]);
  t.teardown(peer.close);
  const sender = new WebhookSender({ url: peer.url, secret: SECRET });
  t.deepEqual(
    [
      await codeOf(sender.send(notification)),
      await codeOf(sender.send(notification)),
      await codeOf(sender.send(notification)),
      await codeOf(sender.send(notification)),
      await codeOf(sender.send(notification)),
      await codeOf(sender.send(notification)),
    ],
    [
      'sent',
      'PEER_UNAVAILABLE/transient/7000',
      'PEER_RATE_LIMITED/transient',
      'PEER_TIMEOUT/ambiguous',
      'PEER_REJECTED/permanent',
      'PEER_REJECTED/permanent',
    ],
  );
  t.is(peer.got.length, 6, 'the redirect is an answer, not followed');
  const [first] = peer.got;
  t.deepEqual(JSON.parse(first!.body), notification.body);
  t.is(first!.headers['x-switchboard-notification-id'], notification._id);
  t.true(
    verifyWebhook({
      secret: SECRET,
      body: first!.body,
      timestamp: first!.headers['x-switchboard-timestamp'] as string,
      signature: first!.headers['x-switchboard-signature'] as string,
    }),
  );
  const port = await freePort();
  t.is(
    await codeOf(new WebhookSender({ url: `http://127.0.0.1:${port}/`, secret: SECRET }).send(notification)),
    'PEER_NOT_CONNECTED/not-connected',
  );
});

test('e-mail: delivered to a real SMTP server with the facts of the alert; a server that is not there is not-connected', async (t) => {
  const smtp = await startSmtpServer();
  t.teardown(smtp.close);
  const sender = new EmailSender({
    host: smtp.host,
    port: smtp.port,
    from: 'switchboard@hospital.test',
    to: ['a@hospital.test', 'b@hospital.test'],
  });
  t.teardown(() => sender.close());
  await sender.send({ ...notification, channel: 'email' });
  const [mail] = await smtp.messages();
  t.is(mail!.headers['subject'], '[switchboard critical] FIRING: erp-down (destination-failing)');
  t.is(mail!.headers['to'], 'a@hospital.test, b@hospital.test');
  t.is(mail!.headers['x-switchboard-notification-id'], notification._id);
  t.regex(mail!.text, /^destination erp of channel ehr-mllp: 4 deliveries retrying$/m);
  t.regex(mail!.text, /^subject: channelId=ehr-mllp destinationId=erp$/m);
  t.regex(mail!.text, /^value: 4 \(threshold 0\)$/m);
  const nobody = new EmailSender({ host: '127.0.0.1', port: await freePort(), from: 'switchboard@hospital.test', to: ['a@hospital.test'] });
  t.is(await codeOf(nobody.send({ ...notification, channel: 'email' })), 'PEER_NOT_CONNECTED/not-connected');
  await nobody.close();
});
