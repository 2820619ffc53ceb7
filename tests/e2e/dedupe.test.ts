import test from 'ava';
import { Queue } from 'bullmq';
import { Writable } from 'node:stream';
import { Hl7Intake } from '../../engine/intake/hl7-intake.ts';
import { StoreAndQueue } from '../../engine/intake/store-and-queue.ts';
import { createLogger, silentLogger } from '../../engine/log.ts';
import { deliveryQueueName, producerConnection, type DeliveryJobData } from '../../engine/queue/queues.ts';
import { DeliveryQueues } from '../../engine/queue/delivery-queues.ts';
import { Store } from '../../engine/store/store.ts';
import { transforms } from '../../transforms/index.ts';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, testChannel, waitFor } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';
import { sharedMongoUrl, sharedRedisUrl } from '../support/services.ts';
import { uniqueName } from '../../scripts/lib/unique-name.ts';

/**
 * De-duplication with the store healthy: a resend of a stored message (same channel, MSH-3, MSH-4,
 * MSH-10) is neither stored nor delivered again, is marked a duplicate, and gets the ACK the
 * first one got, byte for byte (its MSH-10 and MSH-7 included).
 */

/** A small ADT^A01 with its own control id; no corpus needed. */
const adt = (controlId: string) =>
  [
    `MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315083000||ADT^A01^ADT_A01|${controlId}|P|2.5.1`,
    'EVN|A01|20260315083000',
    'PID|1||4711^^^GENHOSP^MR||TEST^PATIENT||19700101|F',
    `PV1|1|I|4W^412^B^GENHOSP||||||||||||||||V${controlId}`,
  ].join('\r') + '\r';

test('a resend over MLLP: one record, one posting at the ERP, logged as a duplicate, and the first ACK again byte for byte', async (t) => {
  const erp = await startErpSimulator();
  const lines: string[] = [];
  const stream = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString('utf8')), done()) });
  const sb = await startTestEngine({ channels: [testChannel({ erpUrl: erp.url })], log: createLogger({ level: 'info', stream }) });
  t.teardown(async () => (await sb.close(), await erp.close()));
  const client = await MllpTestClient.connect(sb.mllpPort);
  t.teardown(() => client.close());

  const first = await client.send(adt('DUP1'));
  t.is(field(first, 'MSA', 1), 'AA', first);
  await waitFor(
    'DUP1 delivered',
    async () => (await sb.engine.store!.messages.list({ controlId: 'DUP1', limit: 5 }))[0]?.status === 'delivered',
  );
  const again = await client.send(adt('DUP1'));
  // On another connection too: de-duplication is by the message, not by the connection.
  const other = await MllpTestClient.connect(sb.mllpPort);
  t.teardown(() => other.close());
  const third = await other.send(adt('DUP1'));
  t.is(again, first, 'the stored ACK, byte for byte');
  t.is(third, first);
  t.is(field(again, 'MSH', 10), field(first, 'MSH', 10), 'the ACK keeps its own MSH-10');

  const records = await sb.engine.store!.messages.list({ controlId: 'DUP1', limit: 5 });
  t.is(records.length, 1, 'stored once');
  const [record] = records;
  t.is(record!.status, 'delivered');
  t.is(record!.ack.message, first, 'the ACK on record is the one sent');
  const duplicates = lines
    .map((l) => JSON.parse(l) as { message: string; firstMessageId?: string })
    .filter((l) => l.message.startsWith('duplicate message'));
  t.deepEqual(
    duplicates.map((l) => l.firstMessageId),
    [record!._id, record!._id],
    'each resend is marked a duplicate of the stored message',
  );

  // A later message goes through, so the ERP has seen everything it was going to see of DUP1.
  t.is(field(await client.send(adt('DUP2')), 'MSA', 1), 'AA');
  await waitFor('DUP2 delivered', () => erp.postings().length === 2);
  const ofFirst = erp.postings().filter((p) => p.idempotencyKey.startsWith(`${record!._id}:`));
  t.is(ofFirst.length, 1, 'one posting of DUP1');
  t.is(ofFirst[0]!.deliveries, 1, 'sent to the ERP once');
});

test('intake answers a resend with duplicate: true, the first message id, the same ACK bytes, and queues nothing more', async (t) => {
  const store = new Store({ url: sharedMongoUrl(), dbName: uniqueName('sbdedupe') });
  await store.start();
  const redis = producerConnection(sharedRedisUrl());
  const queue = new Queue<DeliveryJobData>(deliveryQueueName('ehr-mllp', 'erp'), { connection: redis, prefix: uniqueName('sbq') });
  t.teardown(async () => (await queue.obliterate({ force: true }), await queue.close(), await redis.quit(), await store.close()));
  const intake = new Hl7Intake({
    core: new StoreAndQueue({
      store,
      deliveryQueues: new DeliveryQueues([{ channelId: 'ehr-mllp', destinationId: 'erp', queue: queue }]),
      log: silentLogger(),
      storeTimeoutMs: 3000,
    }),
    transforms,
    log: silentLogger(),
  });
  const channel = testChannel({ erpUrl: 'http://127.0.0.1:9' });
  const bytes = Buffer.from(adt('DUP3'));

  const first = await intake.submit(channel, bytes);
  t.like(first, { code: 'AA' });
  t.falsy(first.duplicate);
  t.truthy(first.messageId);
  const second = await intake.submit(channel, bytes);
  t.like(second, { code: 'AA', duplicate: true, messageId: first.messageId });
  t.true(Buffer.from(second.ack).equals(Buffer.from(first.ack)), 'the stored ACK, byte for byte');

  t.is((await store.messages.list({ controlId: 'DUP3', limit: 5 })).length, 1, 'stored once');
  const jobs = await queue.getJobs(['waiting', 'delayed', 'active', 'prioritized']);
  t.deepEqual(
    jobs.map((j) => j.data.messageId),
    [first.messageId],
    'one delivery queued, for the first',
  );
});
