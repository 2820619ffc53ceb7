import test from 'ava';
import { Queue } from 'bullmq';
import { parseConnectorConfig } from '../../engine/connector-config.ts';
import { DeliveryWorker } from '../../engine/delivery-worker.ts';
import { Hl7Intake } from '../../engine/intake/hl7-intake.ts';
import { StoreAndQueue } from '../../engine/intake/store-and-queue.ts';
import { silentLogger } from '../../engine/log.ts';
import { DeliveryHandoff } from '../../engine/queue/handoff.ts';
import {
  deliveryJobId,
  deliveryQueueName,
  queueDeliveries,
  workerConnectionOptions,
  type DeliveryJobData,
} from '../../engine/queue/queues.ts';
import { DeliveryQueues } from '../../engine/queue/delivery-queues.ts';
import { Keyring, SearchHasher } from '../../engine/security/encryption.ts';
import type { DeliverableRecord, MessageRecord } from '../../engine/store/message-record.ts';
import { Store } from '../../engine/store/store.ts';
import { RecordSealer } from '../../engine/store/record-sealer.ts';
import { connectors } from '../../connectors/index.ts';
import { transforms } from '../../transforms/index.ts';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { TEST_ENCRYPTION, testChannel, waitFor } from '../support/harness.ts';
import { deadMessage } from '../support/seed.ts';
import { sharedMongoUrl, sharedRedisUrl } from '../support/services.ts';
import { uniqueName } from '../../scripts/lib/unique-name.ts';

const log = silentLogger();
const adt = (id: string) =>
  `MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260320143000||ADT^A01|${id}|P|2.5.1\r` +
  `PID|1||5150^^^GENHOSP^MR||ROE^RITA\rPV1|1|I|4W^306^B${'|'.repeat(16)}V${id}\r`;

/** A routed message with one open delivery that holds an order key, as intake stores it. */
function routed(i: number): MessageRecord {
  const base = deadMessage(i);
  return {
    ...base,
    status: 'routed',
    summary: {
      messageType: 'ADT',
      triggerEvent: 'A01',
      controlId: `BULK${i}`,
      sendingApplication: 'EPIC',
      sendingFacility: 'GENHOSP',
      mrn: `B${i}`,
    },
    canonical: {
      events: [
        {
          model: 'EncounterEvent',
          modelVersion: 1,
          transformId: 'hl7v2.adt-to-encounter',
          transformVersion: 2,
          event: { eventType: 'admit', encounter: { visitNumber: `VB${i}` } },
        },
      ],
    },
    deliveries: {
      erp: { destinationId: 'erp', status: 'pending', idempotencyKey: `${base._id}:erp`, sentEvents: 0, attempts: [], orderKey: `B${i}` },
    },
  };
}

const sealers = {
  plain: new RecordSealer(),
  'search hashes': new RecordSealer({ hasher: new SearchHasher(Buffer.alloc(32, 3)) }),
  'encryption at rest': new RecordSealer({ keyring: Keyring.parse(TEST_ENCRYPTION.ENCRYPTION_KEYS) }),
  both: new RecordSealer({ keyring: Keyring.parse(TEST_ENCRYPTION.ENCRYPTION_KEYS), hasher: new SearchHasher(Buffer.alloc(32, 3)) }),
};

for (const [name, sealer] of Object.entries(sealers)) {
  test(`what an insert hands over is what getForDelivery reads back (${name})`, async (t) => {
    const store = new Store({ url: sharedMongoUrl(), dbName: uniqueName('sbhand'), sealer });
    await store.start();
    t.teardown(() => store.close());
    const record = routed(1);
    const result = await store.messages.insert(record);
    if (!result.inserted) return t.fail('not inserted');
    const handed = result.forDelivery();
    t.deepEqual(handed, await store.messages.getForDelivery(record._id));
    t.false('raw' in handed);
  });
}

test('intake with a handoff offers what it stored and marks its jobs fresh; without one, it does neither', async (t) => {
  const channel = testChannel({ erpUrl: 'http://127.0.0.1:9' });
  const prefix = uniqueName('sbhand');
  const store = new Store({ url: sharedMongoUrl(), dbName: prefix });
  await store.start();
  const queue = new Queue<DeliveryJobData>(deliveryQueueName('ehr-mllp', 'erp'), {
    connection: workerConnectionOptions(sharedRedisUrl()),
    prefix,
  });
  t.teardown(async () => (await queue.obliterate({ force: true }), await queue.close(), await store.close()));
  const queues = new DeliveryQueues([{ channelId: 'ehr-mllp', destinationId: 'erp', queue: queue }]);
  const handoff = new DeliveryHandoff();
  const intake = new Hl7Intake({
    core: new StoreAndQueue({ store, deliveryQueues: queues, handoff, log, storeTimeoutMs: 5000 }),
    transforms,
    log,
  });
  const withHandoff = await intake.submit(channel, Buffer.from(adt('HO1')));
  const id = withHandoff.messageId!;
  t.is((await queue.getJob(deliveryJobId(id, 'erp')))?.data.fresh, true);
  t.is(handoff.size, 1);
  t.deepEqual(handoff.take(id, 'erp'), await store.messages.getForDelivery(id));

  const plain = new Hl7Intake({ core: new StoreAndQueue({ store, deliveryQueues: queues, log, storeTimeoutMs: 5000 }), transforms, log });
  const without = await plain.submit(channel, Buffer.from(adt('HO2')));
  t.is((await queue.getJob(deliveryJobId(without.messageId!, 'erp')))?.data.fresh, undefined);
});

test(
  'a delivery takes a handed-over message on the first run of ' + 'its fresh job only: other jobs and later runs read the store',
  async (t) => {
    const erp = await startErpSimulator();
    const spec = testChannel({ erpUrl: erp.url, retry: { attempts: 3, initialDelayMs: 20, maxDelayMs: 20 } }).destinations[0]!;
    const definition = connectors.destination(spec.kind)!;
    const connector = definition.create(parseConnectorConfig(definition, spec.config, 'test'), { log });
    const prefix = uniqueName('sbhand');
    const store = new Store({ url: sharedMongoUrl(), dbName: prefix });
    await store.start();
    const connection = workerConnectionOptions(sharedRedisUrl());
    const queue = new Queue<DeliveryJobData>(deliveryQueueName('ehr-mllp', spec.id), { connection, prefix });
    const handoff = new DeliveryHandoff();
    const worker = new DeliveryWorker({
      channelId: 'ehr-mllp',
      spec,
      definition,
      connector,
      store,
      handoff,
      log,
      worker: { connection, prefix, concurrency: 1 },
    });
    t.teardown(async () => {
      await worker.close(2000);
      await queue.obliterate({ force: true });
      await queue.close();
      await connector.close();
      await store.close();
      await erp.close();
    });
    const queues = new DeliveryQueues([{ channelId: 'ehr-mllp', destinationId: spec.id, queue }]);
    // Each message is offered with a visit number that differs from the stored one: the ERP shows which was sent.
    const offer = async (i: number): Promise<string> => {
      const record = routed(i);
      const result = await store.messages.insert(record);
      if (!result.inserted) throw new Error('not inserted');
      const stored = result.forDelivery();
      const marked: DeliverableRecord = {
        ...stored,
        canonical: {
          events: stored.canonical!.events.map((e) => ({ ...e, event: { ...e.event, encounter: { visitNumber: 'HANDED-OVER' } } })),
        },
      };
      handoff.offer({ messageId: record._id, destinationIds: [spec.id], read: () => marked });
      return record._id;
    };
    const sentVisit = (id: string) =>
      (
        erp.postings().find((p) => p.idempotencyKey.startsWith(id))?.body as
          { event?: { encounter?: { visitNumber?: string } } } | undefined
      )?.event?.encounter?.visitNumber;

    const fresh = await offer(1);
    const unmarked = await offer(2);
    const retried = await offer(3);
    erp.setBehaviour({ mode: 'fail', status: 503, times: 1 });
    await queueDeliveries(queues, { channelId: 'ehr-mllp', messageId: retried, destinationIds: [spec.id], fresh: true });
    worker.start();
    await waitFor(
      'the retried delivery settled',
      async () => (await store.messages.getForDelivery(retried))?.deliveries[spec.id]?.status === 'delivered',
    );
    t.is(sentVisit(retried), 'VB3', 'its first run took the handed-over message and failed; the retry read the store');
    await queueDeliveries(queues, { channelId: 'ehr-mllp', messageId: fresh, destinationIds: [spec.id], fresh: true });
    await queueDeliveries(queues, { channelId: 'ehr-mllp', messageId: unmarked, destinationIds: [spec.id] });
    await waitFor('both delivered', () => sentVisit(fresh) !== undefined && sentVisit(unmarked) !== undefined);
    t.is(sentVisit(fresh), 'HANDED-OVER', 'the fresh job took it');
    t.is(sentVisit(unmarked), 'VB2', 'a job not marked fresh read the store');
    t.is(handoff.size, 1, 'the unmarked message is still held, until it expires');
    const settled = await store.messages.getForDelivery(fresh);
    t.is(settled?.status, 'delivered', 'the handed-over view settles the message as a stored read does');
    t.is(settled?.deliveries[spec.id]?.attempts.length, 1);
  },
);
