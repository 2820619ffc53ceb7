/**
 * Issue 20, finding 10: junk bytes flooded the log, one warning per TCP read. Now the first
 * non-blank byte outside a frame gets one warning (counts and the address class, no content) and
 * the connection is closed unanswered; blank bytes (CR, LF, space, tab) between frames stay allowed.
 */
import test from 'ava';
import net from 'node:net';
import { Writable } from 'node:stream';
import { createLogger } from '../../engine/log.ts';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, testChannel } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';

const adt = (id: string) =>
  `MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315083000||ADT^A01^ADT_A01|${id}|P|2.5.1\r` +
  `PID|1||4711^^^GENHOSP^MR\rPV1|1|I|||||||||||||||||V${id}\r`;

test('junk sent in many reads after good frames: one warning, the connection closed, no answer to what follows', async (t) => {
  const erp = await startErpSimulator();
  const lines: string[] = [];
  const stream = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString('utf8')), done()) });
  const sb = await startTestEngine({ channels: [testChannel({ erpUrl: erp.url })], log: createLogger({ level: 'debug', stream }) });
  t.teardown(async () => (await sb.close(), await erp.close()));

  // Blank bytes between frames are still fine.
  const client = await MllpTestClient.connect(sb.mllpPort);
  t.teardown(() => client.close());
  client.writeRaw(Buffer.from('\r\n \t\r\n'));
  t.is(field(await client.send(adt('JUNK1')), 'MSA', 1), 'AA');
  client.writeRaw(Buffer.from('\n\n'));
  t.is(field(await client.send(adt('JUNK2')), 'MSA', 1), 'AA');

  // Then junk, one chunk per write, each waited for so the server reads them one by one.
  const raw = net.connect({ port: sb.mllpPort, host: '127.0.0.1' });
  await new Promise((r) => raw.once('connect', r));
  const received: Buffer[] = [];
  raw.on('data', (d: Buffer) => received.push(d));
  raw.on('error', () => undefined);
  const closed = new Promise<void>((r) => raw.once('close', () => r()));
  let written = 0;
  for (let i = 0; i < 40 && !raw.destroyed; i++) {
    await new Promise<void>((r) => raw.write(`junk line ${i} \u0000\u00ff`, () => r()));
    written++;
    await new Promise((r) => setTimeout(r, 5));
  }
  raw.write(Buffer.from(`\x0b${adt('JUNK3')}\x1c\r`));
  await Promise.race([
    closed,
    new Promise((_, reject) => setTimeout(() => reject(new Error('the server kept the connection open')), 10_000).unref()),
  ]);
  t.is(Buffer.concat(received).length, 0, 'nothing answered on the junk connection');
  t.true(written >= 1);

  const warnings = lines.map((l) => JSON.parse(l) as { level: string; message: string; bytes?: number }).filter((l) => l.level === 'warn');
  t.deepEqual(
    warnings.map((w) => w.message),
    ['bytes outside an MLLP frame; connection closed unanswered'],
    'one warning for the connection',
  );
  t.false(lines.join('\n').includes('junk line'), 'no content in the log');
  t.deepEqual(await sb.engine.store!.messages.list({ controlId: 'JUNK3', limit: 5 }), [], 'the frame after the junk is not taken');
  // The good connection was not affected.
  t.is(field(await client.send(adt('JUNK4')), 'MSA', 1), 'AA');
});
