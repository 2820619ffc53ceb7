import test from 'ava';
import net from 'node:net';
import { mllpDestination } from '../../connectors/mllp/mllp.destination.ts';
import { parseConnectorConfig } from '../../engine/connector-config.ts';
import { SwitchboardError } from '../../engine/errors.ts';
import { silentLogger } from '../../engine/log.ts';
import { MllpFramer, frame } from '../../connectors/mllp/mllp.framer.ts';

/** A real MLLP peer that keeps each frame's bytes and answers it with the bytes `answer` makes for its MSH-10. */
async function startPeer(answer: (controlId: string) => Buffer) {
  const received: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    const framer = new MllpFramer(1 << 20);
    socket.on('error', () => undefined);
    socket.on('data', (d) => {
      for (const e of framer.push(d)) {
        if (e.kind !== 'frame') continue;
        received.push(e.bytes);
        socket.write(frame(answer(e.bytes.toString('latin1').split('\r')[0]!.split('|')[9]!)));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const close = () => new Promise<void>((r) => (sockets.forEach((s) => s.destroy()), server.close(() => r())));
  return { port: (server.address() as net.AddressInfo).port, received, close };
}

const ack = (code: string, controlId: string, text: string, charset: string) =>
  `MSH|^~\\&|BILLING|GENHOSP|SWITCHBOARD||20260101||ACK^P03^ACK|B1|P|2.5.1||||||${charset}\rMSA|${code}|${controlId}|${text}\r`;
const make = (port: number, extra: Record<string, unknown> = {}) =>
  mllpDestination.create(parseConnectorConfig(mllpDestination, { host: '127.0.0.1', port, ...extra }, 'test'), { log: silentLogger() });
const ctx = (key: string) => ({ idempotencyKey: key, attempt: 1, signal: new AbortController().signal, log: silentLogger() });
const charge = (description: string) => ({
  model: 'ChargeEvent',
  modelVersion: 1,
  event: {
    lineNumber: 1,
    transactionType: 'CG',
    code: 'C1',
    codeSystem: 'HCPCS',
    description,
    quantity: 1,
    amount: { value: 10, currency: 'EUR' },
    serviceDate: '2026-03-20',
    encounter: { visitNumber: 'V1', patientClass: 'I' },
  },
});
const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as SwitchboardError,
  );

test("the peer's ACK is read in the charset its MSH-18 names (an 8859/1 reason kept as written)", async (t) => {
  const peer = await startPeer((id) => Buffer.from(ack('AE', id, 'Prüfung fehlgeschlagen', '8859/1'), 'latin1'));
  t.teardown(() => peer.close());
  const c = make(peer.port);
  t.teardown(() => c.close());
  const err = await failure(c.send(charge('JOINT'), ctx('m1:billing')));
  t.is(err?.code, 'PEER_REJECTED');
  t.is(err?.peerResponse, 'AE Prüfung fehlgeschlagen');
});

test('with charset 8859/2 the message names it in MSH-18 and goes out in 8859-2 bytes (Ł is 0xA3)', async (t) => {
  const peer = await startPeer((id) => Buffer.from(ack('AA', id, '', '8859/2'), 'latin1'));
  t.teardown(() => peer.close());
  const c = make(peer.port, { charset: '8859/2' });
  t.teardown(() => c.close());
  t.is((await c.send(charge('ŁÓŻKO'), ctx('m2:billing'))).responseSummary, 'AA');
  const sent = peer.received[0]!;
  t.is(sent.toString('latin1').split('\r')[0]!.split('|')[17], '8859/2');
  t.true(sent.includes(Buffer.from([0xa3, 0xd3, 0xaf, 0x4b, 0x4f])), 'ŁÓŻKO as a3 d3 af 4b 4f');
  t.false(sent.includes(Buffer.from('Ł', 'utf8')));
});

test('an event holding a character the charset cannot write is refused, permanently, and nothing is sent', async (t) => {
  const peer = await startPeer((id) => Buffer.from(ack('AA', id, '', '8859/1'), 'latin1'));
  t.teardown(() => peer.close());
  const c = make(peer.port, { charset: '8859/1' });
  t.teardown(() => c.close());
  const err = await failure(c.send(charge('ŁÓŻKO'), ctx('m3:billing')));
  t.is(err?.code, 'CANONICAL_INVALID');
  t.is(err?.failureClass, 'permanent');
  t.regex(err!.message, /FT1 segment holds a character 8859\/1 cannot write/);
  t.is(peer.received.length, 0);
});

test('a charset the engine cannot write is a configuration error', (t) => {
  t.throws(() => make(1, { charset: 'KLINGON' }));
});
