import net from 'node:net';
import { Server } from 'node-hl7-server';

/** A port free on 127.0.0.1 at the time of asking. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/**
 * The peer: node-hl7-server 2.5.0 as its README shows it, answering AA to every message it parses
 * (a full parse by node-hl7-client, then its ACK builder), storing nothing.
 */
export async function startPeerServer(): Promise<{ port: number; close(): Promise<void> }> {
  const port = await freePort();
  const server = new Server({ bindAddress: '127.0.0.1' });
  const inbound = server.createInbound({ port }, async (_req, res) => {
    await res.sendResponse('AA');
  });
  await new Promise<void>((resolve, reject) => {
    inbound.once('listen', () => resolve());
    inbound.once('error', reject);
  });
  return { port, close: async () => void (await inbound.close()) };
}
