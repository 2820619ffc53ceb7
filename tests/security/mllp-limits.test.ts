/**
 * Issue 20, finding 5: memory and connections were unbounded (500 connections each holding an
 * unterminated 1 MiB frame took RSS from 310 to 695 MiB; 2,000 idle connections were accepted).
 * Per listener: maxConnections, maxConnectionsPerAddress, maxBufferedBytes, and frameTimeoutMs for
 * an unterminated frame, shorter than the idle timeout. Real sockets, small caps; every assertion is
 * on what happened (closed, answered), never on how long it took.
 */
import test from 'ava';
import net from 'node:net';
import { Writable } from 'node:stream';
import type { MllpSourceConfig } from '../../connectors/mllp/mllp.source.ts';
import { loadConfig } from '../../engine/config/config.ts';
import { createLogger } from '../../engine/log.ts';
import { MllpFramer, MLLP_END, MLLP_CR, MLLP_START } from '../../connectors/mllp/mllp.framer.ts';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, testChannel } from '../support/harness.ts';
import { makeTestPki } from '../support/certs.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';

const adt = (id: string, note = '') =>
  `MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315083000||ADT^A01^ADT_A01|${id}|P|2.5.1\r` +
  `PID|1||4711^^^GENHOSP^MR\rPV1|1|I|||||||||||||||||V${id}\r${note ? `NTE|1||${note}\r` : ''}`;

/** A raw connection that records whether the server closed it and the ACKs it answered. */
interface Peer {
  socket: net.Socket;
  acks: string[];
  closedByServer: Promise<void>;
  isClosed(): boolean;
}

function connect(port: number, localAddress = '127.0.0.1'): Promise<Peer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress });
    const framer = new MllpFramer(1 << 20);
    const acks: string[] = [];
    let closed = false;
    const closedByServer = new Promise<void>((r) => socket.once('close', () => ((closed = true), r())));
    socket.on('data', (d: Buffer) => {
      for (const e of framer.push(d)) if (e.kind === 'frame') acks.push(e.bytes.toString('utf8'));
    });
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve({ socket, acks, closedByServer, isClosed: () => closed }));
    socket.once('error', reject);
  });
}

/** Waits for `what`, failing the test (not timing it) when it has not happened within `ms`. */
async function within<T>(what: string, p: Promise<T>, ms = 15_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: did not happen`)), ms)));
  try {
    return await Promise.race([p, bound]);
  } finally {
    clearTimeout(timer);
  }
}

/** Sends one whole message and resolves with its ACK. */
async function send(peer: Peer, message: string): Promise<string> {
  const before = peer.acks.length;
  peer.socket.write(Buffer.concat([Buffer.from([MLLP_START]), Buffer.from(message), Buffer.from([MLLP_END, MLLP_CR])]));
  const answered = (async () => {
    while (peer.acks.length === before) {
      if (peer.isClosed()) throw new Error('closed before an answer');
      await new Promise((r) => setTimeout(r, 10));
    }
    return peer.acks[before]!;
  })();
  return within(`an answer to ${field(message, 'MSH', 10)}`, answered);
}

async function engineWith(t: import('ava').ExecutionContext, source: Partial<MllpSourceConfig>) {
  const erp = await startErpSimulator();
  const lines: string[] = [];
  const stream = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString('utf8')), done()) });
  const channel = testChannel({ erpUrl: erp.url });
  const sb = await startTestEngine({
    channels: [{ ...channel, source: { ...channel.source, ...source } }],
    log: createLogger({ level: 'info', stream }),
  });
  const peers: Peer[] = [];
  t.teardown(async () => {
    for (const p of peers) p.socket.destroy();
    await sb.close();
    await erp.close();
  });
  const open = async (localAddress?: string) => {
    const peer = await connect(sb.mllpPort, localAddress);
    peers.push(peer);
    return peer;
  };
  const warnings = () =>
    lines
      .map((l) => JSON.parse(l) as { level: string; message: string })
      .filter((l) => l.level === 'warn')
      .map((l) => l.message);
  return { sb, open, warnings };
}

test('the connection over maxConnections is closed at once; a place freed is taken again', async (t) => {
  const { open, warnings } = await engineWith(t, { maxConnections: 3 });
  const served = [await open(), await open(), await open()];
  for (const [i, peer] of served.entries()) t.is(field(await send(peer, adt(`CAP${i}`)), 'MSA', 1), 'AA');
  const fourth = await open();
  await within('the fourth connection closed by the server', fourth.closedByServer);
  t.deepEqual(fourth.acks, []);
  t.false(
    served.some((p) => p.isClosed()),
    'the three within the cap stay open',
  );
  t.deepEqual(warnings(), ['MLLP listener at its connection cap; new connections closed']);

  served[0]!.socket.destroy();
  // The server counts the place free once it has seen the close: retry until a connection is served.
  const again = await within(
    'a connection served after one closed',
    (async () => {
      for (;;) {
        const peer = await open();
        const ack = await send(peer, adt('CAP9')).catch(() => undefined);
        if (ack) return ack;
      }
    })(),
  );
  t.is(field(again, 'MSA', 1), 'AA');
});

test('the connection over maxConnectionsPerAddress is closed at once; another address is still served', async (t) => {
  const { open, warnings } = await engineWith(t, { maxConnectionsPerAddress: 2, maxConnections: 100 });
  const a1 = await open('127.0.0.1');
  const a2 = await open('127.0.0.1');
  t.is(field(await send(a1, adt('ADDR1')), 'MSA', 1), 'AA');
  t.is(field(await send(a2, adt('ADDR2')), 'MSA', 1), 'AA');
  const a3 = await open('127.0.0.1');
  await within('the third connection from 127.0.0.1 closed by the server', a3.closedByServer);
  t.deepEqual(a3.acks, []);
  const b1 = await open('127.0.0.2');
  t.is(field(await send(b1, adt('ADDR3')), 'MSA', 1), 'AA', 'another address has its own count');
  t.false(a1.isClosed() || a2.isClosed());
  t.deepEqual(warnings(), ['MLLP address at its connection cap; new connections from it closed']);
});

test(
  'the connection whose unfinished frame would take the listener past maxBufferedBytes is closed ' + 'unanswered; the other is served',
  async (t) => {
    const { open, warnings } = await engineWith(t, { maxBufferedBytes: 64 * 1024, frameTimeoutMs: 60_000 });
    const note = 'x'.repeat(40 * 1024);
    const [a, b] = [await open(), await open()];
    // Each holds 40 KiB of an unterminated frame: together 80 KiB, over the 64 KiB cap.
    const heads = [adt('BUF1', note), adt('BUF2', note)];
    a.socket.write(Buffer.concat([Buffer.from([MLLP_START]), Buffer.from(heads[0]!)]));
    b.socket.write(Buffer.concat([Buffer.from([MLLP_START]), Buffer.from(heads[1]!)]));
    await within('one of the two closed by the server', Promise.race([a.closedByServer, b.closedByServer]));
    const [closed, open_] = a.isClosed() ? [a, b] : [b, a];
    t.false(open_.isClosed(), 'only the connection that passed the cap is closed');
    t.deepEqual(closed.acks, []);
    // The survivor ends its frame and is answered; its bytes are then released, so a new 40 KiB message fits.
    open_.socket.write(Buffer.from([MLLP_END, MLLP_CR]));
    const ack = await within(
      'the survivor answered',
      (async () => {
        while (open_.acks.length === 0) await new Promise((r) => setTimeout(r, 10));
        return open_.acks[0]!;
      })(),
    );
    t.is(field(ack, 'MSA', 1), 'AA');
    const c = await open();
    t.is(field(await send(c, adt('BUF3', note)), 'MSA', 1), 'AA', 'the budget was given back');
    t.deepEqual(warnings(), ['MLLP listener at its buffered-bytes cap; the connection that would pass it is closed']);
  },
);

test('an unterminated frame is closed after frameTimeoutMs, while an idle connection between frames stays open', async (t) => {
  const { open, warnings } = await engineWith(t, { frameTimeoutMs: 300, idleTimeoutMs: 120_000 });
  const idle = await open();
  t.is(field(await send(idle, adt('SLOW1')), 'MSA', 1), 'AA');
  // From here `idle` sends nothing; `stalled` starts a frame and never ends it.
  const stalled = await open();
  stalled.socket.write(Buffer.concat([Buffer.from([MLLP_START]), Buffer.from('MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|')]));
  await within('the stalled frame closed by the server', stalled.closedByServer);
  t.deepEqual(stalled.acks, []);
  // `idle` has now been silent longer than frameTimeoutMs, and is still served.
  t.false(idle.isClosed());
  t.is(field(await send(idle, adt('SLOW2')), 'MSA', 1), 'AA');
  t.deepEqual(warnings(), ['MLLP frame not completed in time; connection closed unanswered']);
});

test(
  'on a TLS listener connections are counted before the handshake: one over the cap is closed before ' + 'any TLS, with one warning',
  async (t) => {
    const pki = makeTestPki();
    const { sb, open, warnings } = await engineWith(t, {
      maxConnections: 1,
      tls: { certFile: pki.server.certFile, keyFile: pki.server.keyFile },
    });
    const client = await MllpTestClient.connect(sb.mllpPort, '127.0.0.1', { ca: pki.ca });
    t.teardown(() => client.close());
    t.is(field(await client.send(adt('TLS1')), 'MSA', 1), 'AA');
    // Plain TCP connections that never start a handshake would otherwise be held for Node's 120 s handshake timeout each.
    for (let i = 0; i < 3; i++) {
      const peer = await open();
      await within(`connection ${i + 2} closed by the server`, peer.closedByServer);
    }
    t.is(field(await client.send(adt('TLS2')), 'MSA', 1), 'AA', 'the connection within the cap is still served');
    t.deepEqual(warnings(), ['MLLP listener at its connection cap; new connections closed'], 'one warning, not one per refused connection');
  },
);

test('the limits have the defaults a hospital expects, each settable from the environment', (t) => {
  const base = { REDIS_URL: 'redis://x', MONGODB_URL: 'mongodb://x' };
  const config = loadConfig(base);
  t.deepEqual(
    [config.MLLP_MAX_CONNECTIONS, config.MLLP_MAX_CONNECTIONS_PER_ADDRESS, config.MLLP_MAX_BUFFERED_BYTES, config.MLLP_FRAME_TIMEOUT_MS],
    [1000, 100, 256 * 1024 * 1024, 30_000],
  );
  const set = loadConfig({
    ...base,
    MLLP_MAX_CONNECTIONS: '50',
    MLLP_MAX_CONNECTIONS_PER_ADDRESS: '5',
    MLLP_MAX_BUFFERED_BYTES: '1048576',
    MLLP_FRAME_TIMEOUT_MS: '5000',
  });
  t.deepEqual(
    [set.MLLP_MAX_CONNECTIONS, set.MLLP_MAX_CONNECTIONS_PER_ADDRESS, set.MLLP_MAX_BUFFERED_BYTES, set.MLLP_FRAME_TIMEOUT_MS],
    [50, 5, 1048576, 5000],
  );
});
