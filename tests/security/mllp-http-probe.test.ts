/**
 * Issue 20, finding 3: an HTTP request to the MLLP port was taken as HL7 (`curl -X POST
 * --data-binary @frame http://host:2575/` got AA and the message was posted to the ERP), so any web
 * page a browser on the hospital network loads could inject messages. Bytes that are not blank
 * before a start block close the connection unanswered, with one warning naming an HTTP request and
 * no content.
 */
import test from 'ava';
import http from 'node:http';
import net from 'node:net';
import { Writable } from 'node:stream';
import { frame, MllpFramer } from '../../connectors/mllp/mllp.framer.ts';
import { createLogger } from '../../engine/log.ts';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, testChannel, waitFor } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';

const adt = (id: string) =>
  `MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315083000||ADT^A01^ADT_A01|${id}|P|2.5.1\r` +
  `PID|1||4711^^^GENHOSP^MR||PROBE^PATIENT\rPV1|1|I|||||||||||||||||V${id}\r`;

test(
  'an HTTP POST of a framed ADT to the MLLP port: connection closed, no ACK, nothing stored or posted, ' + 'one warning without content',
  async (t) => {
    const erp = await startErpSimulator();
    const lines: string[] = [];
    const stream = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString('utf8')), done()) });
    const sb = await startTestEngine({ channels: [testChannel({ erpUrl: erp.url })], log: createLogger({ level: 'debug', stream }) });
    t.teardown(async () => (await sb.close(), await erp.close()));

    // A real HTTP client, as curl or a browser's fetch would send it; the socket is ours so every byte the server sends back is seen.
    const received: Buffer[] = [];
    const socket = net.connect({ port: sb.mllpPort, host: '127.0.0.1' });
    socket.on('data', (d: Buffer) => received.push(d));
    const socketClosed = new Promise<void>((r) => socket.once('close', () => r()));
    const body = frame(Buffer.from(adt('HTTP1')));
    const outcome = await new Promise<string>((resolve) => {
      const req = http.request(
        {
          createConnection: () => socket,
          method: 'POST',
          path: '/',
          headers: { 'content-type': 'application/hl7-v2', 'content-length': body.length },
        },
        (res) => resolve(`response ${res.statusCode}`),
      );
      req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
      req.end(body);
    });
    await socketClosed;
    t.regex(outcome, /ECONNRESET|socket hang up/i, 'the request fails as the connection is closed');
    const answer = Buffer.concat(received);
    t.is(answer.length, 0, `the server sent nothing back, got: ${JSON.stringify(answer.toString('latin1'))}`);

    // fetch (undici) too: the same request from a browser-like client fails without an answer.
    await t.throwsAsync(
      fetch(`http://127.0.0.1:${sb.mllpPort}/`, {
        method: 'POST',
        body: new Uint8Array(frame(Buffer.from(adt('HTTP2')))),
        headers: { 'content-type': 'application/hl7-v2' },
      }),
    );

    // A real MLLP sender afterwards is served, stored and delivered: a barrier for anything HTTP1 would have caused.
    const client = await MllpTestClient.connect(sb.mllpPort);
    t.teardown(() => client.close());
    t.is(field(await client.send(adt('REAL1')), 'MSA', 1), 'AA');
    await waitFor(
      'REAL1 delivered',
      async () => (await sb.engine.store!.messages.list({ controlId: 'REAL1', limit: 5 }))[0]?.status === 'delivered',
    );
    for (const id of ['HTTP1', 'HTTP2'])
      t.deepEqual(await sb.engine.store!.messages.list({ controlId: id, limit: 5 }), [], `${id} not stored`);
    t.is(erp.postings().length, 1, 'only REAL1 reached the ERP');

    const warnings = lines
      .map((l) => JSON.parse(l) as { level: string; message: string; [k: string]: unknown })
      .filter((l) => /HTTP request on an MLLP port/.test(l.message));
    t.is(warnings.length, 2, 'one warning per refused connection');
    t.is(warnings[0]!.level, 'warn');
    t.is(warnings[0]!.remoteAddressClass, 'loopback');
    const text = lines.join('\n');
    for (const content of ['HTTP1', 'HTTP2', 'PROBE', '4711', 'POST /', 'hl7-v2'])
      t.false(text.includes(content), `the log holds no request content (${content})`);
  },
);

test('the framer names an HTTP request line among the junk, and only that', (t) => {
  const kinds = (bytes: string) =>
    new MllpFramer(1024).push(Buffer.from(bytes)).map((e) => (e.kind === 'junk' ? `junk http=${e.http}` : e.kind));
  t.deepEqual(kinds('POST / HTTP/1.1\r\nHost: x\r\n\r\n\x0bMSH|\x1c\r'), ['junk http=true', 'frame']);
  t.deepEqual(kinds('\r\nGET /index.html HTTP/1.0\r\n'), ['junk http=true']);
  t.deepEqual(kinds('OPTIONS * HTTP/1.1\r\n'), ['junk http=true']);
  t.deepEqual(kinds('hello\x0bMSH|\x1c\r'), ['junk http=false', 'frame']);
  t.deepEqual(kinds('\r\n \t\x0bMSH|\x1c\r'), ['frame'], 'blank bytes before a frame are not junk');
});
