import test from 'ava';
import { Writable } from 'node:stream';
import { createLogger } from '../../engine/log.ts';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, testChannel, waitFor } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';
import { startPrivateMongo, startPrivateRedis } from '../support/services.ts';

/** A small ADT^A01 with a unique control id; no corpus needed. */
function adt(controlId: string, mrn = '4711'): string {
  return (
    [
      `MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315083000||ADT^A01^ADT_A01|${controlId}|P|2.5.1`,
      'EVN|A01|20260315083000',
      `PID|1||${mrn}^^^GENHOSP^MR||TEST^PATIENT||19700101|F`,
      `PV1|1|I|4W^412^B^GENHOSP||||||||||||||||V${controlId}`,
    ].join('\r') + '\r'
  );
}

test('ERP answering 503 three times, then 200: delivered on the fourth attempt', async (t) => {
  const erp = await startErpSimulator({ port: 0 });
  const sb = await startTestEngine({ channels: [testChannel({ erpUrl: erp.url })] });
  t.teardown(async () => (await sb.close(), await erp.close()));
  erp.setBehaviour({ mode: 'fail', status: 503, times: 3 });
  const client = await MllpTestClient.connect(sb.mllpPort);
  t.is(field(await client.send(adt('RETRY503')), 'MSA', 1), 'AA');
  client.close();
  const [m] = await waitFor('delivered', async () => {
    const found = await sb.engine.store!.messages.list({ controlId: 'RETRY503', limit: 1 });
    return found[0]?.status === 'delivered' && found;
  });
  const d = m!.deliveries.erp!;
  t.deepEqual(
    d.attempts.map((a) => a.outcome),
    ['transient', 'transient', 'transient', 'delivered'],
  );
  t.true(d.attempts.slice(0, 3).every((a) => a.errorCode === 'PEER_UNAVAILABLE' && a.response?.startsWith('503')));
  t.is(erp.postings().filter((p) => p.idempotencyKey === `${m!._id}:erp`).length, 1);
});

test("ERP answering 400: dead-lettered at once with the ERP's reason stored", async (t) => {
  const erp = await startErpSimulator({ port: 0 });
  const sb = await startTestEngine({ channels: [testChannel({ erpUrl: erp.url })] });
  t.teardown(async () => (await sb.close(), await erp.close()));
  erp.setBehaviour({ mode: 'fail', status: 400, times: -1, body: { error: 'cost center COSTCTR-0000 is closed' } });
  const client = await MllpTestClient.connect(sb.mllpPort);
  t.is(field(await client.send(adt('REJECT400')), 'MSA', 1), 'AA', 'the sender is told AA: what happens downstream is ours to handle');
  client.close();
  const [m] = await waitFor('dead', async () => {
    const found = await sb.engine.store!.messages.list({ controlId: 'REJECT400', limit: 1 });
    return found[0]?.status === 'dead' && found;
  });
  const d = m!.deliveries.erp!;
  t.is(d.status, 'dead');
  t.is(d.attempts.length, 1, 'a permanent failure is not retried');
  t.is(d.lastError?.code, 'PEER_REJECTED');
  t.true(d.lastError?.response?.includes('cost center COSTCTR-0000 is closed'), d.lastError?.response);
  t.is(erp.postings().length, 0);
});

test('Redis stopped, then wiped, while sending: every acknowledged message is delivered once', async (t) => {
  const redis = await startPrivateRedis({ name: 'flush' });
  const erp = await startErpSimulator({ port: 0 });
  const sb = await startTestEngine({ channels: [testChannel({ erpUrl: erp.url })], redisUrl: redis.url });
  t.teardown(async () => (await sb.close(), await erp.close(), await redis.close()));
  const client = await MllpTestClient.connect(sb.mllpPort);
  const acked: string[] = [];
  const sendBatch = async (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const ack = await client.send(adt(`RF${i}`));
      if (field(ack, 'MSA', 1) === 'AA') acked.push(`RF${i}`);
    }
  };
  erp.setBehaviour({ mode: 'fail', status: 503, times: 10 });
  await sendBatch(0, 10);
  await redis.stop();
  await sendBatch(10, 20);
  await redis.wipeAndRestart();
  await sendBatch(20, 30);
  client.close();
  t.is(acked.length, 30, 'MongoDB was up, so every message was acknowledged');
  await waitFor(
    'all delivered',
    async () => {
      const delivered = await sb.engine.store!.messages.list({ status: 'delivered', limit: 100 });
      return delivered.length === 30;
    },
    60_000,
  );
  const keys = erp.postings().map((p) => p.idempotencyKey);
  t.is(new Set(keys).size, 30);
  t.true(erp.postings().every((p) => p.deliveries >= 1));
});

test('MongoDB-wire server stopped: no AA while it is down; resent messages are accepted once it is back', async (t) => {
  const mongo = await startPrivateMongo({ name: 'down' });
  const erp = await startErpSimulator({ port: 0 });
  const sb = await startTestEngine({
    channels: [testChannel({ erpUrl: erp.url })],
    mongoUrl: mongo.url,
    config: { STORE_TIMEOUT_MS: 2000 },
  });
  t.teardown(async () => (await sb.close(), await erp.close(), await mongo.close()));
  const client = await MllpTestClient.connect(sb.mllpPort);
  t.is(field(await client.send(adt('MD1')), 'MSA', 1), 'AA');
  await mongo.stop();
  const whileDown = await client.send(adt('MD2'));
  t.is(field(whileDown, 'MSA', 1), 'AE', whileDown);
  t.not(field(whileDown, 'MSA', 3), '');
  await mongo.start();
  const resent = await waitFor('AA after the store is back', async () => {
    const ack = await client.send(adt('MD2'));
    return field(ack, 'MSA', 1) === 'AA' && ack;
  });
  t.is(field(resent, 'MSA', 2), 'MD2');
  t.is(await client.send(adt('MD2')), resent, 'a further resend is a duplicate: the stored ACK again, byte for byte (MSH-10 included)');
  client.close();
  // A delivery job that met the store down waits out its backoff (infraBackoff: up to 30 s) after the store is back.
  await waitFor(
    'both delivered',
    async () => (await sb.engine.store!.messages.list({ status: 'delivered', limit: 10 })).length === 2,
    90_000,
  );
  t.is(erp.postings().length, 2);
});

test(
  'MongoDB-wire server stopped mid-delivery: the job fails with ' +
    'STORE_UNAVAILABLE, is logged by code, and is delivered once the store is back',
  async (t) => {
    const mongo = await startPrivateMongo({ name: 'mid-delivery' });
    const erp = await startErpSimulator({ port: 0 });
    const lines: string[] = [];
    const stream = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString('utf8')), done()) });
    // The ERP holds the first request until the connector gives up (10 s); meanwhile the store goes away.
    const channel = testChannel({ erpUrl: erp.url });
    const slowErp = { ...channel, destinations: channel.destinations.map((d) => ({ ...d, config: { ...d.config, timeoutMs: 10_000 } })) };
    const sb = await startTestEngine({ channels: [slowErp], mongoUrl: mongo.url, log: createLogger({ level: 'info', stream }) });
    t.teardown(async () => (await sb.close(), await erp.close(), await mongo.close()));
    erp.setBehaviour({ mode: 'hang', times: 1 });
    const client = await MllpTestClient.connect(sb.mllpPort);
    t.teardown(() => client.close());
    t.is(field(await client.send(adt('MID1', '90210')), 'MSA', 1), 'AA');
    await waitFor('the ERP holding the first request', () => erp.requestTimes().length === 1);
    await mongo.stop();
    // The timeout cannot be recorded: the job fails as an infrastructure failure, and the log says so.
    const failed = await waitFor('the failed job logged', () => lines.find((l) => l.includes('job failed; retried with backoff')));
    const entry = JSON.parse(failed) as { code: string; queue: string; messageId: string };
    t.is(entry.code, 'STORE_UNAVAILABLE');
    t.is(entry.queue, 'deliver.ehr-mllp.erp');
    t.truthy(entry.messageId);
    t.false(
      lines.some((l) => l.includes('90210') || l.includes('TEST^PATIENT')),
      'no patient data in the log',
    );
    await mongo.start();
    await waitFor('delivered after the store is back', () => erp.postings().length === 1, 60_000);
    await waitFor(
      'recorded as delivered',
      async () => (await sb.engine.store!.messages.list({ status: 'delivered', limit: 1 })).length === 1,
      60_000,
    );
    t.is(erp.postings()[0]!.deliveries, 1);
  },
);
