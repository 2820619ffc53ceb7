import test from 'ava';
import { Queue } from 'bullmq';
import { Type } from '@sinclair/typebox';
import type { DestinationSpec } from '../../engine/channel.ts';
import { defineDestination, type DestinationConnector } from '../../engine/connector.ts';
import { DeliveryWorker } from '../../engine/delivery-worker.ts';
import { parseMessage } from '../../hl7v2/index.ts';
import { silentLogger } from '../../engine/log.ts';
import { deliveryQueueName, queueDeliveries, workerConnectionOptions, type DeliveryJobData } from '../../engine/queue/queues.ts';
import { DeliveryQueues } from '../../engine/queue/delivery-queues.ts';
import { planRoute, planStoredMessage } from '../../engine/routing.ts';
import { Store } from '../../engine/store/store.ts';
import { MessageStatus } from '../../engine/store/states.ts';
import ehrMllp from '../../channels/ehr-mllp.channel.ts';
import { transforms as shipped } from '../../transforms/index.ts';
import type { Transform } from '../../transforms/dsl/define-transform.ts';
import { deadMessage } from '../support/seed.ts';
import { startTestEngine, testChannel, waitFor } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';
import { sharedMongoUrl, sharedRedisUrl } from '../support/services.ts';
import { uniqueName } from '../../scripts/lib/unique-name.ts';

/**
 * A destination of this test only whose send has a defect: it reads a field of something undefined,
 * so every call throws a TypeError that no one classified, the same on every attempt.
 */
function defectiveDestination(): { definition: ReturnType<typeof defineDestination>; sends: () => number } {
  let sends = 0;
  const connector: DestinationConnector = {
    connect: async () => undefined,
    send: async (payload) => {
      sends++;
      const missing = (payload.event as { noSuchField?: { summary: string } }).noSuchField;
      return { responseSummary: missing!.summary };
    },
    close: async () => undefined,
  };
  const definition = defineDestination({
    kind: 'test-defective',
    title: 'Defective (test only)',
    config: Type.Object({}),
    secrets: [],
    idempotent: true,
    models: ['EncounterEvent'],
    examples: [{}],
    create: () => connector,
  });
  return { definition, sends: () => sends };
}

test(
  'a destination that throws an unclassified TypeError: the ' + 'delivery is dead after one attempt, the error recorded as INTERNAL',
  async (t) => {
    const store = new Store({ url: sharedMongoUrl(), dbName: uniqueName('sbdefect') });
    await store.start();
    const prefix = uniqueName('sbq');
    const spec: DestinationSpec = {
      id: 'defective',
      kind: 'test-defective',
      config: {},
      models: ['EncounterEvent'],
      retry: { attempts: 5, initialDelayMs: 50, maxDelayMs: 200 },
    };
    const queue = new Queue<DeliveryJobData>(deliveryQueueName('ehr-mllp', spec.id), {
      connection: workerConnectionOptions(sharedRedisUrl()),
      prefix,
    });
    const { definition, sends } = defectiveDestination();
    const worker = new DeliveryWorker({
      channelId: 'ehr-mllp',
      spec,
      definition,
      connector: definition.create({}, { log: silentLogger() }),
      store,
      worker: { connection: workerConnectionOptions(sharedRedisUrl()), prefix, concurrency: 1 },
      log: silentLogger(),
    });
    t.teardown(async () => (await worker.close(1000), await queue.close(), await store.close()));

    // A message routed by the shipped ADT transform, its one delivery going to the defective destination.
    const seeded = deadMessage(1);
    const plan = planRoute({
      channel: ehrMllp,
      transforms: shipped,
      messageId: seeded._id,
      input: { kind: 'hl7', message: parseMessage(Buffer.from(seeded.raw).toString('utf8')) },
      type: 'ADT^A08',
      source: { channelId: ehrMllp.id, messageType: 'ADT^A08', controlId: 'BULK1', sendingApplication: 'EPIC', sendingFacility: 'GENHOSP' },
    });
    if (plan.status !== MessageStatus.routed) return t.fail(`the ADT message was not routed: ${plan.status}`);
    await store.messages.insert({
      ...seeded,
      status: MessageStatus.routed,
      canonical: { events: plan.events },
      deliveries: {
        defective: {
          destinationId: 'defective',
          status: 'pending',
          idempotencyKey: `${seeded._id}:defective`,
          sentEvents: 0,
          attempts: [],
        },
      },
    });
    await queueDeliveries(new DeliveryQueues([{ channelId: 'ehr-mllp', destinationId: spec.id, queue }]), {
      channelId: 'ehr-mllp',
      messageId: seeded._id,
      destinationIds: [spec.id],
    });
    worker.start();

    const delivery = await waitFor('the delivery to settle', async () => {
      const d = (await store.messages.get(seeded._id))?.deliveries.defective;
      return d && (d.status === 'dead' || d.attempts.length > 1) ? d : undefined;
    });
    t.is(delivery.status, 'dead');
    t.is(delivery.attempts.length, 1, 'one attempt, not retried as if the peer were down');
    t.is(sends(), 1);
    t.like(delivery.attempts[0], { outcome: 'permanent', errorCode: 'INTERNAL', error: 'TypeError' });
    t.like(delivery.lastError, { code: 'INTERNAL', detail: 'TypeError' });
  },
);

test('a transform that throws an unclassified TypeError: the sender gets AE and the message is stored errored with INTERNAL', async (t) => {
  const adt = shipped.get('hl7v2.adt-to-encounter')!;
  // The shipped transform with a defect: its run reads a field of something undefined.
  const defective: Transform = {
    ...adt,
    version: 99,
    run: () => [(undefined as unknown as { event: Record<string, unknown> }).event],
    tryRun: adt.tryRun,
  };
  const engine = await startTestEngine({
    channels: [testChannel({ erpUrl: 'http://127.0.0.1:9' })],
    transforms: new Map([...shipped, [defective.id, defective]]),
  });
  t.teardown(() => engine.close());
  const client = await MllpTestClient.connect(engine.mllpPort);
  t.teardown(() => client.close());
  const ack = await client.send(
    'MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315083000||ADT^A01^ADT_A01|DEFECT1|P|2.5.1\r' +
      'EVN|A01|20260315083000\rPID|1||55501^^^GENHOSP^MR||DOE^JOHN\rPV1|1|I|4W||||||||||||||||VDEF1\r',
  );
  t.is(field(ack, 'MSA', 1), 'AE');
  t.false(ack.includes('Cannot read'), 'the exception text stays inside');
  t.is(field(ack, 'MSA', 3), 'Internal error', 'nor its name: the catalog text only');
  const [message] = await engine.engine.store!.messages.list({ controlId: 'DEFECT1', limit: 1 });
  t.is(message?.status, 'errored');
  t.is(message?.error?.code, 'INTERNAL');
});

test(
  'a stored message that can no longer be read (FHIR that is not JSON) is ' +
    'routed to errored with INTERNAL, not thrown back for the route worker to retry',
  (t) => {
    const stored = {
      ...deadMessage(2),
      format: 'fhir' as const,
      raw: Buffer.from('{"resourceType": "ChargeItem", '),
      status: MessageStatus.received,
    };
    const plan = planStoredMessage({ message: stored, channel: ehrMllp, transforms: shipped });
    if (plan.status !== MessageStatus.errored) return t.fail(`planned ${plan.status}`);
    t.is(plan.error.code, 'INTERNAL');
    t.is(plan.error.failureClass, 'permanent');
  },
);
