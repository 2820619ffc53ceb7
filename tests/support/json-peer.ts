import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the peer saw. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** What the peer answers a request: a status and a body (JSON unless a string), or no answer at all. */
export type JsonAnswer = { status: number; body?: unknown } | 'hang';

export interface JsonPeer {
  url: string;
  requests: SeenRequest[];
  /** The distinct idempotency keys it holds: a repeated key is answered as the first time, not held again. */
  keys(): string[];
  close(): Promise<void>;
}

/**
 * A tiny JSON API for http-json's tests: records every request, de-duplicates by the
 * `Idempotency-Key` header (answering a repeat with the first answer), and answers with `answer`
 * (default: 201 `{ id, received }` for a body, 200 `{ id, path }` for a GET).
 */
export async function startJsonPeer(answer?: (req: SeenRequest) => JsonAnswer): Promise<JsonPeer> {
  const requests: SeenRequest[] = [];
  const byKey = new Map<string, { status: number; body?: unknown }>();
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(seen);
      const key = req.headers['idempotency-key'];
      const first = typeof key === 'string' ? byKey.get(key) : undefined;
      const a = first ?? (answer ?? defaultAnswer)(seen);
      if (a === 'hang') return void hanging.add(res);
      if (typeof key === 'string' && !first) byKey.set(key, a);
      const text = typeof a.body === 'string' ? a.body : a.body === undefined ? '' : JSON.stringify(a.body);
      res.writeHead(a.status, { 'content-type': 'application/json' }).end(text);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    keys: () => [...byKey.keys()],
    close: () =>
      new Promise<void>((r) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function defaultAnswer(req: SeenRequest): JsonAnswer {
  if (req.method === 'GET') return { status: 200, body: { id: 'E-1', path: req.url } };
  return { status: 201, body: { id: 'R-1', received: JSON.parse(req.body) as unknown } };
}
