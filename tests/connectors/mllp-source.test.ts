import test from 'ava';
import net from 'node:net';
import { MllpFramer, frame } from '../../connectors/mllp/mllp.framer.ts';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, testChannel } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';
import { sharedMongoUrl } from '../support/services.ts';
import { mongoInsertCommand, TcpProxy } from '../support/tcp-proxy.ts';

const adt = (id: string) =>
  `MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315083000||ADT^A01^ADT_A01|${id}|P|2.5.1\rPID|1||7^^^H^MR\rPV1|1|I|||||||||||||||||V${id}\r`;

test('several frames in one write are answered one by one, in order', async (t) => {
  const erp = await startErpSimulator();
  const sb = await startTestEngine({ channels: [testChannel({ erpUrl: erp.url })] });
  t.teardown(async () => (await sb.close(), await erp.close()));
  const socket = net.connect({ port: sb.mllpPort, host: '127.0.0.1' });
  await new Promise((r) => socket.once('connect', r));
  const framer = new MllpFramer(1 << 20);
  const acks: string[] = [];
  const done = new Promise<void>((resolve) =>
    socket.on('data', (d) => {
      for (const e of framer.push(d)) if (e.kind === 'frame') acks.push(e.bytes.toString());
      if (acks.length === 5) resolve();
    }),
  );
  socket.write(Buffer.concat(['P1', 'P2', 'P3', 'P4', 'P5'].map((id) => frame(Buffer.from(adt(id))))));
  await done;
  socket.destroy();
  t.deepEqual(
    acks.map((a) => field(a, 'MSA', 2)),
    ['P1', 'P2', 'P3', 'P4', 'P5'],
  );
  t.true(acks.every((a) => field(a, 'MSA', 1) === 'AA'));
});

test('a frame over the maximum size gets AR naming the limit, and the connection is closed; the listener keeps serving', async (t) => {
  const erp = await startErpSimulator();
  const channel = testChannel({ erpUrl: erp.url });
  const sb = await startTestEngine({ channels: [{ ...channel, source: { ...channel.source, maxFrameBytes: 2048 } }] });
  t.teardown(async () => (await sb.close(), await erp.close()));
  const client = await MllpTestClient.connect(sb.mllpPort);
  const big = adt('BIG1') + `NTE|1||${'x'.repeat(5000)}\r`;
  const ack = await client.send(big);
  t.is(field(ack, 'MSA', 1), 'AR');
  t.is(field(ack, 'MSA', 2), 'BIG1', 'the NAK still names the message');
  t.regex(field(ack, 'MSA', 3), /maximum size \(2048 bytes\)/);
  await client.closed();
  const next = await MllpTestClient.connect(sb.mllpPort);
  t.is(field(await next.send(adt('SMALL1')), 'MSA', 1), 'AA');
  next.close();
});

test('an idle connection is closed by the server', async (t) => {
  const erp = await startErpSimulator();
  const channel = testChannel({ erpUrl: erp.url });
  const sb = await startTestEngine({ channels: [{ ...channel, source: { ...channel.source, idleTimeoutMs: 300 } }] });
  t.teardown(async () => (await sb.close(), await erp.close()));
  const client = await MllpTestClient.connect(sb.mllpPort);
  t.is(field(await client.send(adt('IDLE1')), 'MSA', 1), 'AA');
  await client.closed();
  t.true(client.endedByServer, 'the server ended the connection');
});

test('a connection waiting for its ACK is not idle: a store slower than the idle timeout still gets the ACK to the sender', async (t) => {
  const erp = await startErpSimulator();
  const proxy = await TcpProxy.start(TcpProxy.targetOf(sharedMongoUrl()));
  const channel = testChannel({ erpUrl: erp.url });
  // The store's bound (STORE_TIMEOUT_MS) is far above the hold, so only the idle timer could end the wait.
  const sb = await startTestEngine({
    mongoUrl: proxy.via(sharedMongoUrl()),
    config: { STORE_TIMEOUT_MS: 30_000 },
    channels: [{ ...channel, source: { ...channel.source, idleTimeoutMs: 1000 } }],
  });
  t.teardown(async () => (proxy.resume(), await sb.close(), await proxy.close(), await erp.close()));
  // Only the insert of the message is held; other store traffic (pooled or new connections) flows.
  proxy.pause(mongoInsertCommand('messages'));
  const client = await MllpTestClient.connect(sb.mllpPort);
  const ack = client.send(adt('SLOW1'));
  await proxy.held(mongoInsertCommand('messages'));
  // Three idle timeouts pass while the insert is held.
  await new Promise((r) => setTimeout(r, 3000));
  proxy.resume();
  t.is(field(await ack, 'MSA', 1), 'AA');
  await client.closed();
  t.true(client.endedByServer, 'idle once answered: the server ends the connection');
});

test(
  'blank bytes between frames are allowed; other bytes outside a frame close the connection unanswered ' + '(issue 20, findings 3 and 10)',
  async (t) => {
    const erp = await startErpSimulator();
    const sb = await startTestEngine({ channels: [testChannel({ erpUrl: erp.url })] });
    t.teardown(async () => (await sb.close(), await erp.close()));
    const client = await MllpTestClient.connect(sb.mllpPort);
    client.writeRaw(Buffer.from('\r\n '));
    t.is(field(await client.send(adt('BLANK1')), 'MSA', 2), 'BLANK1');
    client.writeRaw(Buffer.from('garbage before the frame'));
    await t.throwsAsync(client.send(adt('JUNK1')), { message: /closed before an answer/ });
    await client.closed();
    t.deepEqual(await sb.engine.store!.messages.list({ controlId: 'JUNK1', limit: 5 }), []);
  },
);
