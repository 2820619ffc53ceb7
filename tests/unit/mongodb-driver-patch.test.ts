/**
 * The MongoDB driver is patched (patches/mongodb+*.patch, applied by patch-package at `npm ci`): in
 * 7.9, a command written to a connection whose socket was destroyed but whose 'close' had not yet
 * been handled waited for a 'drain' that never comes. A server monitor stuck there never checks
 * the server again, so after a store restart the engine answered STORE_UNAVAILABLE for ever (seen
 * in the faults e2e test). These tests fail when the patch is missing.
 */
import { once } from 'node:events';
import { createRequire } from 'node:module';
import net from 'node:net';
import test from 'ava';
import { MongoNetworkError } from 'mongodb';

/** The driver's connection class: internal (no types), but the one that holds the defect the patch mends. */
interface Connection {
  readonly closed: boolean;
  command(ns: unknown, command: object, options: object): Promise<unknown>;
}
const { Connection } = createRequire(import.meta.url)('mongodb/lib/cmap/connection.js') as {
  Connection: new (socket: net.Socket, options: { id: number }) => Connection;
};

async function connectedSocket(t: { teardown(fn: () => void): void }): Promise<net.Socket> {
  const server = net.createServer((peer) => peer.on('error', () => undefined));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => server.close());
  const { port } = server.address() as net.AddressInfo;
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  return socket;
}

/** The command's outcome; still pending after 10 s (a bound on waiting, not a timing assertion) it is the unpatched hang. */
async function ping(connection: Connection): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error('the command still waits: is patches/mongodb+*.patch applied?')), 10_000);
  });
  try {
    return await Promise.race([connection.command({ db: 'admin', collection: '$cmd' }, { ping: 1 }, {}), hang]);
  } finally {
    clearTimeout(timer);
  }
}

test('a command on a connection whose socket is already destroyed fails as a network error instead of waiting', async (t) => {
  const socket = await connectedSocket(t);
  const connection = new Connection(socket, { id: 1 });
  socket.destroy();
  // 'close' has not been handled yet: the connection still counts as open, as the monitor saw it.
  t.false(connection.closed);
  await t.throwsAsync(ping(connection), { instanceOf: MongoNetworkError, message: /closed/ });
  t.true(connection.closed);
});

test('a command waiting for the socket to drain fails when the socket is closed meanwhile', async (t) => {
  const socket = await connectedSocket(t);
  const connection = new Connection(socket, { id: 2 });
  // A full write buffer: the next write returns false and the command waits for 'drain'.
  socket.cork();
  socket.write(Buffer.alloc(socket.writableHighWaterMark + 1));
  const pending = ping(connection);
  setImmediate(() => socket.destroy());
  await t.throwsAsync(pending, { instanceOf: MongoNetworkError, message: /closed/ });
});
