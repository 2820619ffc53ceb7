import test from 'ava';
import { activePeriodStart, inactivityWindow, isActiveAt } from '../../engine/ops/alerts/active-hours.ts';
import type { ActiveHours, AlertRuleDefinition } from '../../engine/ops/alerts/alert-api-types.ts';
import { observe } from '../../engine/ops/alerts/alert-conditions.ts';
import { validateAlertRule } from '../../engine/ops/alerts/alert-rule-schema.ts';
import { signWebhook, verifyWebhook } from '../../engine/ops/alerts/alert-signature.ts';
import { certificateFiles } from '../../engine/ops/alerts/certificates.ts';
import type { ChannelDefinition } from '../../engine/channel.ts';

const now = new Date('2026-01-07T12:00:00Z');

test('schema: a valid rule of each kind has no problems', (t) => {
  const rules: AlertRuleDefinition[] = [
    { id: 'q', kind: 'queue-depth', above: 100, forMs: 300_000 },
    { id: 'o', kind: 'oldest-waiting', olderThanMs: 60_000, channelId: 'adt' },
    { id: 'e', kind: 'error-rate', abovePercent: 5, windowMs: 600_000, count: ['dead'] },
    {
      id: 'i',
      kind: 'inactivity',
      channelId: 'adt',
      silentForMs: 1_800_000,
      activeHours: { days: ['mon', 'fri'], from: '07:00', to: '19:00', timeZone: 'Europe/Paris' },
    },
    { id: 'd', kind: 'destination-failing', destinationId: 'erp', forMs: 120_000, repeatIntervalMs: 3_600_000, notify: ['webhook'] },
    { id: 'f', kind: 'flow-step-dead' },
    { id: 'c', kind: 'certificate-expiry', withinDays: 21, roles: ['mllp-source'] },
    { id: 'r', kind: 'replay-failed' },
  ];
  for (const rule of rules) t.deepEqual(validateAlertRule(rule), [], rule.kind);
});

test('schema: problems name their path', (t) => {
  t.deepEqual(validateAlertRule({ id: 'x', kind: 'disk-full' })[0]!.path, '/kind');
  t.deepEqual(validateAlertRule([])[0]!.path, '/');
  t.true(validateAlertRule({ id: 'Bad Id', kind: 'replay-failed' }).some((p) => p.path === '/id' && p.message.includes('lower-case')));
  t.true(validateAlertRule({ id: 'q', kind: 'queue-depth' }).some((p) => p.path === '/above'));
  t.true(validateAlertRule({ id: 'q', kind: 'queue-depth', above: 1, olderThanMs: 5 }).some((p) => p.path === '/olderThanMs'));
  t.true(validateAlertRule({ id: 'e', kind: 'error-rate', abovePercent: 101, windowMs: 60_000 }).some((p) => p.path === '/abovePercent'));
  t.true(validateAlertRule({ id: 'e', kind: 'error-rate', abovePercent: 5, windowMs: 1000 }).some((p) => p.path === '/windowMs'));
  const zone = { days: ['mon'], from: '07:00', to: '19:00', timeZone: 'Mars/Olympus' };
  t.deepEqual(
    validateAlertRule({ id: 'i', kind: 'inactivity', channelId: 'adt', silentForMs: 60_000, activeHours: zone }).map((p) => p.path),
    ['/activeHours/timeZone'],
  );
  const hour = { ...zone, timeZone: 'UTC', from: '24:00' };
  t.true(
    validateAlertRule({ id: 'i', kind: 'inactivity', channelId: 'adt', silentForMs: 60_000, activeHours: hour }).some(
      (p) => p.path === '/activeHours/from',
    ),
  );
});

const queues = [
  { channelId: 'adt', destinationId: 'erp', depth: 12, oldestWaitingMs: 90_000 },
  { channelId: 'adt', destinationId: 'billing', depth: 3, oldestWaitingMs: null },
];

test('queue depth and oldest waiting job: one observation per destination in scope', (t) => {
  const depth = observe({ id: 'q', kind: 'queue-depth', above: 10 }, { kind: 'queue-depth', queues }, now);
  t.deepEqual(
    depth.map((o) => [o.subjectKey, o.active, o.value]),
    [
      ['adt/erp', true, 12],
      ['adt/billing', false, 3],
    ],
  );
  const scoped = observe({ id: 'q', kind: 'queue-depth', above: 10, destinationId: 'billing' }, { kind: 'queue-depth', queues }, now);
  t.deepEqual(
    scoped.map((o) => o.subjectKey),
    ['adt/billing'],
  );
  const oldest = observe({ id: 'o', kind: 'oldest-waiting', olderThanMs: 60_000 }, { kind: 'oldest-waiting', queues }, now);
  t.deepEqual(
    oldest.map((o) => [o.active, o.value]),
    [
      [true, 90_000],
      [false, 0],
    ],
  );
});

test('error rate: per channel or all, above the percentage, not below minMessages', (t) => {
  const channels = [
    { channelId: 'adt', total: 100, errored: 4, dead: 3 },
    { channelId: 'lab', total: 100, errored: 0, dead: 0 },
  ];
  const reading = { kind: 'error-rate' as const, channels };
  const all = observe({ id: 'e', kind: 'error-rate', abovePercent: 3, windowMs: 600_000 }, reading, now);
  t.deepEqual(
    all.map((o) => [o.subjectKey, o.active, o.value]),
    [['*', true, 3.5]],
  );
  const adtDead = observe(
    { id: 'e', kind: 'error-rate', abovePercent: 3, windowMs: 600_000, channelId: 'adt', count: ['dead'] },
    reading,
    now,
  );
  t.deepEqual(
    adtDead.map((o) => [o.subjectKey, o.active, o.value]),
    [['adt', false, 3]],
    'above, not at',
  );
  const few = observe({ id: 'e', kind: 'error-rate', abovePercent: 3, windowMs: 600_000, minMessages: 500 }, reading, now);
  t.false(few[0]!.active);
  t.false(
    observe({ id: 'e', kind: 'error-rate', abovePercent: 0, windowMs: 60_000 }, { kind: 'error-rate', channels: [] }, now)[0]!.active,
  );
});

test('inactivity: fires on zero messages in a watched window only', (t) => {
  const rule: AlertRuleDefinition = { id: 'i', kind: 'inactivity', channelId: 'adt', silentForMs: 60_000 };
  const of = (received: number | null, deployed = true) =>
    observe(rule, { kind: 'inactivity', channelId: 'adt', received, deployed }, now)[0]!;
  t.true(of(0).active);
  t.false(of(1).active);
  t.false(of(null).active, 'outside its active hours');
  t.false(of(0, false).active, 'a channel not deployed is not watched');
});

test('destination failing, flow step dead, certificates, replays', (t) => {
  const failing = observe(
    { id: 'd', kind: 'destination-failing' },
    {
      kind: 'destination-failing',
      destinations: [
        { channelId: 'adt', destinationId: 'erp', retrying: 2 },
        { channelId: 'adt', destinationId: 'billing', retrying: 0 },
      ],
    },
    now,
  );
  t.deepEqual(
    failing.map((o) => o.active),
    [true, false],
  );
  const flows = observe(
    { id: 'f', kind: 'flow-step-dead', flowId: 'procedure' },
    { kind: 'flow-step-dead', flows: [{ flowId: 'procedure', stalled: 1 }] },
    now,
  );
  t.deepEqual(flows[0]!.subject, { flowId: 'procedure' });
  t.true(flows[0]!.active);
  const certificates = [
    { role: 'mllp-source' as const, source: 'adt', notAfter: new Date(now.getTime() + 10 * 86_400_000) },
    { role: 'destination-client' as const, source: 'adt/erp', notAfter: new Date(now.getTime() + 40 * 86_400_000) },
    { role: 'https-server' as const, source: 'admin', notAfter: null },
  ];
  const expiring = observe({ id: 'c', kind: 'certificate-expiry', withinDays: 30 }, { kind: 'certificate-expiry', certificates }, now);
  t.deepEqual(
    expiring.map((o) => [o.subjectKey, o.active, o.value]),
    [
      ['mllp-source:adt', true, 10],
      ['destination-client:adt/erp', false, 40],
      ['https-server:admin', false, null],
    ],
  );
  t.deepEqual(expiring[1]!.subject, { certificateRole: 'destination-client', channelId: 'adt', destinationId: 'erp' });
  const replays = [
    { replayId: 'r1', selected: 5, refused: 2, finishedAt: new Date(now.getTime() - 3_600_000) },
    { replayId: 'r2', selected: 5, refused: 0, finishedAt: now },
    { replayId: 'r3', selected: 5, refused: 1, finishedAt: new Date(now.getTime() - 2 * 86_400_000) },
  ];
  const failed = observe({ id: 'r', kind: 'replay-failed' }, { kind: 'replay-failed', replays }, now);
  t.deepEqual(
    failed.map((o) => [o.subjectKey, o.active]),
    [
      ['r1', true],
      ['r3', false],
    ],
  );
});

test('a reading of another kind observes nothing', (t) => {
  t.deepEqual(observe({ id: 'q', kind: 'queue-depth', above: 1 }, { kind: 'flow-step-dead', flows: [] }, now), []);
});

test('summaries hold ids and counts only', (t) => {
  const [o] = observe({ id: 'q', kind: 'queue-depth', above: 10 }, { kind: 'queue-depth', queues }, now);
  t.is(o!.summary, 'destination erp of channel adt: 12 jobs queued');
});

const paris: ActiveHours = { days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '08:00', to: '18:00', timeZone: 'Europe/Paris' };

test('active hours follow the time zone and its daylight saving time', (t) => {
  // Wednesday 2026-01-07 07:30 UTC is 08:30 in Paris (UTC+1).
  t.true(isActiveAt(new Date('2026-01-07T07:30:00Z'), paris));
  t.false(isActiveAt(new Date('2026-01-07T06:59:00Z'), paris), '07:59 in Paris');
  t.false(isActiveAt(new Date('2026-01-07T17:00:00Z'), paris), '18:00 in Paris: `to` is exclusive');
  t.false(isActiveAt(new Date('2026-01-10T10:00:00Z'), paris), 'a Saturday');
  // Summer time: Wednesday 2026-07-01 06:30 UTC is 08:30 in Paris (UTC+2).
  t.true(isActiveAt(new Date('2026-07-01T06:30:00Z'), paris));
  t.false(isActiveAt(new Date('2026-07-01T16:30:00Z'), paris));
});

test('active hours spanning midnight belong to the day they start on', (t) => {
  const night: ActiveHours = { days: ['fri'], from: '22:00', to: '06:00', timeZone: 'UTC' };
  t.true(isActiveAt(new Date('2026-01-09T23:00:00Z'), night), 'Friday 23:00');
  t.true(isActiveAt(new Date('2026-01-10T05:59:00Z'), night), 'Saturday 05:59');
  t.false(isActiveAt(new Date('2026-01-10T22:30:00Z'), night), 'Saturday 22:30');
  t.false(isActiveAt(new Date('2026-01-09T05:00:00Z'), night), 'Friday 05:00 belongs to Thursday night');
});

test('the inactivity window counts only silence within the current active period', (t) => {
  const monday0820 = new Date('2026-01-05T07:20:00Z');
  t.deepEqual(activePeriodStart(monday0820, paris), new Date('2026-01-05T07:00:00Z'));
  t.is(inactivityWindow(monday0820, 30 * 60_000, paris), undefined, 'twenty minutes into the day: not yet');
  t.deepEqual(inactivityWindow(monday0820, 15 * 60_000, paris), { from: new Date('2026-01-05T07:05:00Z'), to: monday0820 });
  t.is(inactivityWindow(new Date('2026-01-10T10:00:00Z'), 60_000, paris), undefined, 'a Saturday');
  t.deepEqual(inactivityWindow(now, 5000), { from: new Date(now.getTime() - 5000), to: now }, 'without active hours: always');
});

test('webhook signature: HMAC-SHA256 over timestamp and body, checked with a tolerance', (t) => {
  const body = '{"event":"firing"}';
  const signature = signWebhook('s3cret-s3cret-s3cret', 1_767_787_200, body);
  t.regex(signature, /^sha256=[0-9a-f]{64}$/);
  const ok = { secret: 's3cret-s3cret-s3cret', body, timestamp: '1767787200', signature, nowSeconds: 1_767_787_260 };
  t.true(verifyWebhook(ok));
  t.false(verifyWebhook({ ...ok, body: '{"event":"resolved"}' }), 'another body');
  t.false(verifyWebhook({ ...ok, secret: 'another-secret-another' }), 'another secret');
  t.false(verifyWebhook({ ...ok, timestamp: '1767787201' }), 'another timestamp');
  t.false(verifyWebhook({ ...ok, nowSeconds: 1_767_787_200 + 301 }), 'too old');
  t.false(verifyWebhook({ ...ok, signature: undefined }));
});

test('certificate files: MLLP listeners, destinations’ client certificates and HTTPS, `${VAR}` resolved, ids as sources', (t) => {
  const channels = [
    {
      id: 'adt',
      source: { kind: 'mllp', port: 0, tls: { certFile: '${CERTS}/mllp.crt', keyFile: '/k' } },
      accept: [],
      transforms: [],
      destinations: [
        {
          id: 'erp',
          kind: 'erp-rest',
          config: { baseUrl: 'https://erp', tls: { clientCertificate: { certFile: '/c/erp.crt', keyFile: '/k' } } },
        },
        { id: 'plain', kind: 'erp-rest', config: { baseUrl: 'https://x' } },
      ],
    },
    {
      id: 'lab',
      source: { kind: 'mllp', port: 0, tls: { certFile: '${UNSET_VAR}/x.crt', keyFile: '/k' } },
      accept: [],
      transforms: [],
      destinations: [],
    },
  ] as unknown as ChannelDefinition[];
  t.deepEqual(certificateFiles(channels, '/etc/https.crt', { CERTS: '/certs' }), [
    { role: 'https-server', source: 'admin', file: '/etc/https.crt' },
    { role: 'mllp-source', source: 'adt', file: '/certs/mllp.crt' },
    { role: 'destination-client', source: 'adt/erp', file: '/c/erp.crt' },
  ]);
});

test('the inactivity window starts no earlier than the channel was deployed', (t) => {
  const deployed = new Date(now.getTime() - 60_000);
  t.is(inactivityWindow(now, 5 * 60_000, undefined, deployed), undefined, 'deployed a minute ago: not silent for five');
  t.deepEqual(inactivityWindow(now, 30_000, undefined, deployed), { from: new Date(now.getTime() - 30_000), to: now });
});
