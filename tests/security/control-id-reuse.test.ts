/**
 * Issue 20, finding 8: a message reusing a stored message's control id (MSH-10) with different
 * content was silently dropped: it got the first message's ACK. Now a true resend (the same
 * segments after charset decoding, whatever their terminators; MSH-7 aside) gets the stored ACK
 * byte for byte; other content under the
 * same (channel, MSH-3, MSH-4, MSH-10) gets AE naming the conflict (ERR-3 205), is stored as
 * `rejected` for review and is counted in /metrics by channel. A stored record of an earlier
 * version, without a content hash, is taken as resent.
 */
import { DeliveryQueues } from '../../engine/queue/delivery-queues.ts';
import test from 'ava';
import { Hl7Intake } from '../../engine/intake/hl7-intake.ts';
import { StoreAndQueue } from '../../engine/intake/store-and-queue.ts';
import { silentLogger } from '../../engine/log.ts';
import { Store } from '../../engine/store/store.ts';
import type { MessageRecord } from '../../engine/store/message-record.ts';
import { transforms } from '../../transforms/index.ts';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, testChannel, waitFor } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';
import { sharedMongoUrl } from '../support/services.ts';
import { uniqueName } from '../../scripts/lib/unique-name.ts';

const adt = (o: { controlId: string; family: string; sentAt?: string }) =>
  [
    `MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|${o.sentAt ?? '20260315083000'}||ADT^A01^ADT_A01|${o.controlId}|P|2.5.1`,
    'EVN|A01|20260315083000',
    `PID|1||4711^^^GENHOSP^MR||${o.family}^PATIENT||19700101|F`,
    'PV1|1|I|4W^412^B^GENHOSP||||||||||||||||V4711',
  ].join('\r') + '\r';

const conflicts = (metrics: string, channel: string) =>
  Number(new RegExp(`^switchboard_control_id_conflicts_total\\{channel="${channel}"\\} (\\d+)$`, 'm').exec(metrics)?.[1] ?? NaN);

test(
  'the same MSH-10 with other content: AE naming the conflict, stored as rejected, counted; a true ' +
    'resend (MSH-7 aside) gets the stored ACK byte for byte',
  async (t) => {
    const erp = await startErpSimulator();
    const sb = await startTestEngine({ channels: [testChannel({ erpUrl: erp.url, id: 'reuse' })] });
    t.teardown(async () => (await sb.close(), await erp.close()));
    const client = await MllpTestClient.connect(sb.mllpPort);
    t.teardown(() => client.close());
    const metrics = async () => (await sb.engine.http!.inject({ method: 'GET', url: '/metrics', headers: sb.adminHeaders })).body;
    const before = conflicts(await metrics(), 'reuse');

    const first = await client.send(adt({ controlId: 'REUSE1', family: 'FIRST' }));
    t.is(field(first, 'MSA', 1), 'AA');
    t.is(await client.send(adt({ controlId: 'REUSE1', family: 'FIRST' })), first, 'a byte-identical resend: the stored ACK');
    t.is(
      await client.send(adt({ controlId: 'REUSE1', family: 'FIRST', sentAt: '20260315083500' })),
      first,
      'a resend stamped again in MSH-7: the stored ACK',
    );
    t.is(
      await client.send(`\r\n${adt({ controlId: 'REUSE1', family: 'FIRST' }).replaceAll('\r', '\n')}`),
      first,
      'a resend with LF terminators and a blank line first: the stored ACK',
    );

    const other = await client.send(adt({ controlId: 'REUSE1', family: 'SECOND' }));
    t.is(field(other, 'MSA', 1), 'AE', other);
    t.is(field(other, 'MSA', 2), 'REUSE1');
    t.regex(field(other, 'MSA', 3), /MSH-10 was used before for a message with different content/);
    t.is(field(other, 'ERR', 3).split('^')[0], '205', 'HL7 table 0357: duplicate key identifier');
    t.false(other.includes('SECOND') || other.includes('FIRST'), 'no content echoed');

    const stored = await sb.engine.store!.messages.list({ controlId: 'REUSE1', limit: 10 });
    t.is(stored.length, 2, 'the first, and the other one');
    t.is(stored.filter((m) => m.status === 'rejected').length, 1, 'the other one stored as rejected');
    const rejected = stored.find((m) => m.status === 'rejected');
    t.is(rejected?.error?.code, 'HL7_CONTROL_ID_CONFLICT');
    t.is(rejected?.ack.code, 'AE');
    const raw = await sb.engine.store!.messages.get(rejected!._id);
    t.true(Buffer.from(raw!.raw).toString('utf8').includes('SECOND^PATIENT'), 'the conflicting message is kept for review');
    t.is(before, 0, 'the channel is reported before any conflict');
    t.is(conflicts(await metrics(), 'reuse'), 1, 'counted once, by channel');

    // Again: answered the same, stored again for review, counted again; the first is delivered once.
    t.is(field(await client.send(adt({ controlId: 'REUSE1', family: 'SECOND' })), 'MSA', 1), 'AE');
    t.is(conflicts(await metrics(), 'reuse'), 2);
    const accepted = stored.find((m) => m.status !== 'rejected')!;
    await waitFor('the first delivered', async () => (await sb.engine.store!.messages.get(accepted._id))?.status === 'delivered');
    t.deepEqual(
      erp.postings().map((p) => p.idempotencyKey.split(':')[0]),
      [accepted._id],
      'only the first was posted',
    );
    t.false((await metrics()).includes('REUSE1'), 'no control id in the metrics');
  },
);

test('a record stored by an earlier version (no content hash) is taken as resent: other content under its key gets its ACK', async (t) => {
  const store = new Store({ url: sharedMongoUrl(), dbName: uniqueName('sbreuse') });
  await store.start();
  t.teardown(() => store.close());
  const intake = new Hl7Intake({
    core: new StoreAndQueue({ store, deliveryQueues: new DeliveryQueues(), log: silentLogger(), storeTimeoutMs: 3000 }),
    transforms,
    log: silentLogger(),
  });
  const channel = { ...testChannel({ erpUrl: 'http://127.0.0.1:9', id: 'legacy' }), destinations: [] };
  const first = await intake.submit(channel, Buffer.from(adt({ controlId: 'OLD1', family: 'FIRST' })));
  t.like(first, { code: 'AA' });
  const messages = store.collection<MessageRecord>('messages');
  t.truthy((await messages.findOne({ _id: first.messageId! }))?.contentHash, 'new records carry the hash');
  await messages.updateOne({ _id: first.messageId! }, { $unset: { contentHash: '' } });

  const other = await intake.submit(channel, Buffer.from(adt({ controlId: 'OLD1', family: 'SECOND' })));
  t.like(other, { code: 'AA', duplicate: true, messageId: first.messageId });
  t.true(Buffer.from(other.ack).equals(Buffer.from(first.ack)));
  t.is((await store.messages.list({ controlId: 'OLD1', limit: 5 })).length, 1);
});
