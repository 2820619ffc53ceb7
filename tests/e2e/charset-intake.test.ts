import test from 'ava';
import net from 'node:net';
import { MllpFramer, frame } from '../../connectors/mllp/mllp.framer.ts';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, testChannel, waitFor, type TestEngine } from '../support/harness.ts';
import { field } from '../support/mllp-client.ts';

/** Sends one frame over a fresh MLLP connection and resolves with the answer's bytes, undecoded. */
async function sendBytes(port: number, bytes: Buffer): Promise<Buffer> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  await new Promise((r) => socket.once('connect', r));
  const framer = new MllpFramer(1 << 20);
  const answer = new Promise<Buffer>((resolve, reject) => {
    socket.on('data', (d) => {
      for (const e of framer.push(d)) if (e.kind === 'frame') resolve(e.bytes);
    });
    socket.once('close', () => reject(new Error('connection closed before an answer')));
  });
  socket.write(frame(bytes));
  return answer.finally(() => socket.destroy());
}

const ascii = (s: string) => Buffer.from(s, 'ascii');
const msh = (id: string, charset: string, facility = 'GENHOSP') =>
  `MSH|^~\\&|EPIC|${facility}|ERP|FINANCE|20260315083000||ADT^A01^ADT_A01|${id}|P|2.5.1||||||${charset}\r`;
const rest = (id: string) =>
  `EVN|A01|20260315083000\rPID|1||4711^^^GENHOSP^MR||TEST^PATIENT||19700101|F\rPV1|1|I|4W^412^B^GENHOSP||||||||||||||||V${id}\r`;

async function engine(t: import('ava').ExecutionContext): Promise<TestEngine> {
  const erp = await startErpSimulator();
  const sb = await startTestEngine({ channels: [testChannel({ erpUrl: erp.url })] });
  t.teardown(async () => (await sb.close(), await erp.close()));
  return sb;
}

test('a UTF-8 message with an invalid byte gets AR naming the charset and where (MSA-3, ERR), and is stored as rejected', async (t) => {
  const sb = await engine(t);
  for (const [id, charset] of [
    ['BADUTF1', 'UNICODE UTF-8'],
    ['BADUTF2', ''],
  ] as const) {
    const [before, after] = rest(id).split('PATIENT');
    const bytes = Buffer.concat([ascii(msh(id, charset) + before!), Buffer.from([0xc3, 0x28]), ascii(after!)]);
    const ack = (await sendBytes(sb.mllpPort, bytes)).toString('latin1');
    t.is(field(ack, 'MSA', 1), 'AR', id);
    t.is(field(ack, 'MSA', 2), id, 'the AR names the message');
    t.regex(field(ack, 'MSA', 3), /not valid UNICODE UTF-8 .*line 3, segment PID/);
    t.is(field(ack, 'ERR', 3).split('^')[0], '102', 'ERR-3: data type error');
    t.regex(field(ack, 'ERR', 8), /not valid UNICODE UTF-8/);
    const [stored] = await waitFor('rejected message stored', () => sb.engine.store!.messages.list({ controlId: id, limit: 1 }));
    t.is(stored!.status, 'rejected');
    t.is(stored!.error?.code, 'HL7_CHARSET_INVALID');
    t.deepEqual(Buffer.from((await sb.engine.store!.messages.get(stored!._id))!.raw), bytes, 'the bytes are kept as sent');
  }
});

test('an 8859/2 message is accepted and its ACK goes back in 8859/2 (Ł is 0xA3, not UTF-8)', async (t) => {
  const sb = await engine(t);
  const text = msh('LATIN2A', '8859/2', 'ŁÓDŹ') + rest('LATIN2A');
  const ack = await sendBytes(sb.mllpPort, latin2(text));
  t.is(field(ack.toString('latin1'), 'MSA', 1), 'AA');
  t.is(field(ack.toString('latin1'), 'MSH', 6), '\u00a3\u00d3D\u00ac', 'MSH-6 holds the 8859-2 bytes a3 d3 44 ac');
  t.false(ack.includes(Buffer.from('Ł', 'utf8')));
  const [stored] = await waitFor('message stored', () => sb.engine.store!.messages.list({ controlId: 'LATIN2A', limit: 1 }));
  t.is(stored!.summary?.sendingFacility, 'ŁÓDŹ');
});

/** 8859-2 bytes of a text whose only non-ASCII letters are Ł Ó Ź (written by hand: a3 d3 ac). */
function latin2(text: string): Buffer {
  const bytes: Record<string, number> = { Ł: 0xa3, Ó: 0xd3, Ź: 0xac };
  return Buffer.from([...text].map((c) => bytes[c] ?? c.charCodeAt(0)));
}
