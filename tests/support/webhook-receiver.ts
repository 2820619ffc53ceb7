import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the receiver took: its headers (lower case) and body text. */
export interface ReceivedHook {
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface WebhookReceiver {
  url: string;
  received(): ReceivedHook[];
  /** Answer the next `times` requests with `status` (then 200 again). */
  failNext(status: number, times: number): void;
  close(): Promise<void>;
}

/** A real HTTP server on loopback recording every POST it gets; answers 200 unless told otherwise. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const hooks: ReceivedHook[] = [];
  let failing = { status: 200, times: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (failing.times > 0) {
        failing.times--;
        res.writeHead(failing.status).end();
        return;
      }
      hooks.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/switchboard`,
    received: () => [...hooks],
    failNext: (status, times) => (failing = { status, times }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
