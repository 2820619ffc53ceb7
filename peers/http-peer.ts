/**
 * A small base for JSON HTTP simulators (the process-flow peers): a real node:http server on port 0 with
 * per-route handlers, a request log kept in memory only, de-duplication by Idempotency-Key and the ERP
 * simulator's behaviours (fail, slow, hang). It logs nothing: bodies may carry patient data.
 *
 * De-duplication: a POST, PUT, PATCH or DELETE whose Idempotency-Key was seen before gets the first answer
 * byte for byte (status, headers, body) without its handler running again; concurrent repeats wait for the
 * first. GETs are never de-duplicated. Answers of a simulated `fail`/`hang` are not remembered, so a retry
 * with the same key does the work once the behaviour has run out.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type PeerBehaviour =
  | { mode: 'ok' }
  /** Answer `status` (and `body`) `times` times, then OK; times -1: for ever. `match`: only paths containing it. */
  | { mode: 'fail'; status: number; times: number; body?: unknown; retryAfterSeconds?: number; match?: string }
  | { mode: 'slow'; delayMs: number; times: number; /** extra random delay up to this */ jitterMs?: number; match?: string }
  /** Accept the request and never answer, `times` times (timeout tests). */
  | { mode: 'hang'; times: number; match?: string };

/** One request a route received (failures included); the body lives in memory only. */
export interface PeerRequest {
  method: string;
  path: string;
  /** The Idempotency-Key header, if any. */
  key: string | undefined;
  /** When it arrived (ms since epoch). */
  at: number;
  /** The parsed JSON body; undefined when there was none. */
  body: unknown;
}

/** What a handler sees: the request, the route's `:name` parameters and the query string. */
export interface RouteInput extends PeerRequest {
  params: Record<string, string>;
  query: URLSearchParams;
}

export interface PeerAnswer {
  status: number;
  /** Sent as JSON with the peer's content type; none for 204. */
  body?: unknown;
  headers?: Record<string, string>;
}

export interface PeerRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Segments, with `:name` for a parameter: `/Users/:id`. */
  path: string;
  handler: (input: RouteInput) => PeerAnswer;
}

export interface HttpPeerOptions {
  /** Answered by `GET /` and `GET /_sim/health`. */
  name: string;
  routes: PeerRoute[];
  /** Content type of every answer; default application/json. */
  contentType?: string;
  /** Body of the errors the base answers itself (400, 404, 405, 413, simulated failures); default `{ error }`. */
  errorBody?: (status: number, detail: string) => unknown;
  /** Refuse (400) a POST without an Idempotency-Key; default true. */
  requireKey?: boolean;
  port?: number;
  host?: string;
}

export interface HttpPeer {
  url: string;
  port: number;
  setBehaviour(b: PeerBehaviour): void;
  /** Every request a route received, in order, simulated failures included. */
  requests(): PeerRequest[];
  /** When each request arrived (ms since epoch), as in `requests()`. */
  requestTimes(): number[];
  /** The requests a `fail` behaviour answered: when each arrived and the status it got. */
  failures(): { at: number; status: number }[];
  /** How many requests arrived with this Idempotency-Key, repeats and simulated failures included. */
  deliveries(key: string): number;
  close(): Promise<void>;
}

interface Stored {
  status: number;
  headers: Record<string, string>;
  bytes: Buffer;
}

const MAX_BODY = 1024 * 1024;

/** Starts the peer; it listens once the promise resolves. */
export async function startHttpPeer(opts: HttpPeerOptions): Promise<HttpPeer> {
  const contentType = opts.contentType ?? 'application/json';
  const errorBody = opts.errorBody ?? ((_status: number, detail: string) => ({ error: detail }));
  let behaviour: PeerBehaviour = { mode: 'ok' };
  const log: PeerRequest[] = [];
  const failed: { at: number; status: number }[] = [];
  const answers = new Map<string, Promise<Stored>>();
  const hanging = new Set<http.ServerResponse>();

  const encode = (a: PeerAnswer): Stored => ({
    status: a.status,
    headers: { ...(a.body === undefined ? {} : { 'content-type': contentType }), ...a.headers },
    bytes: a.body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(a.body)),
  });
  const send = (res: http.ServerResponse, s: Stored) => void res.writeHead(s.status, s.headers).end(s.bytes);
  const error = (status: number, detail: string, headers: Record<string, string> = {}) =>
    encode({ status, body: errorBody(status, detail), headers });

  /** Consumes one use of a limited behaviour; returns the one that applies to a request on `path`. */
  const take = (path: string): PeerBehaviour => {
    const b = behaviour;
    if (b.mode === 'ok' || b.times === 0) return { mode: 'ok' };
    if (b.match !== undefined && !path.includes(b.match)) return { mode: 'ok' };
    if (b.times > 0) behaviour = { ...b, times: b.times - 1 };
    return b;
  };

  const control = (req: http.IncomingMessage, path: string, raw: Buffer): Stored | undefined => {
    if (path === '/' && req.method === 'GET') return encode({ status: 200, body: { service: opts.name } });
    if (path === '/_sim/health') return encode({ status: 200, body: { status: 'up', service: opts.name } });
    if (path !== '/_sim/behaviour' || req.method !== 'POST') return undefined;
    try {
      behaviour = JSON.parse(raw.toString('utf8')) as PeerBehaviour;
      return encode({ status: 200, body: behaviour });
    } catch {
      return error(400, 'behaviour must be JSON');
    }
  };

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, raw: Buffer, tooLarge: boolean) {
    const url = new URL(req.url ?? '/', 'http://peer');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const own = control(req, path, raw);
    if (own) return send(res, own);
    const found = route(opts.routes, method, path);
    if (found === 'no-route') return send(res, error(404, 'not found'));
    if (found === 'no-method') return send(res, error(405, 'method not allowed'));
    const header = req.headers['idempotency-key'];
    const key = typeof header === 'string' && header !== '' ? header : undefined;
    const at = Date.now();
    const entry: PeerRequest = { method, path, key, at, body: undefined };
    log.push(entry);
    const b = take(path);
    if (b.mode === 'fail') {
      failed.push({ at, status: b.status });
      const retry: Record<string, string> = b.retryAfterSeconds === undefined ? {} : { 'retry-after': String(b.retryAfterSeconds) };
      const answer =
        b.body === undefined ? error(b.status, 'simulated failure', retry) : encode({ status: b.status, body: b.body, headers: retry });
      return send(res, answer);
    }
    if (b.mode === 'hang') return void hanging.add(res);
    if (b.mode === 'slow') await new Promise((r) => setTimeout(r, b.delayMs + Math.random() * (b.jitterMs ?? 0)));
    if (tooLarge) return send(res, error(413, 'body too large'));
    if (raw.length > 0) {
      try {
        entry.body = JSON.parse(raw.toString('utf8'));
      } catch {
        return send(res, error(400, 'body is not JSON'));
      }
    }
    const run = () => encode(found.route.handler({ ...entry, params: found.params, query: url.searchParams }));
    if (method === 'GET') return send(res, run());
    if (key === undefined) {
      return send(res, method === 'POST' && opts.requireKey !== false ? error(400, 'Idempotency-Key header is required') : run());
    }
    const first = answers.get(key);
    if (first) return send(res, await first);
    const answer = Promise.resolve(run());
    answers.set(key, answer);
    return send(res, await answer);
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => void handle(req, res, Buffer.concat(chunks), size > MAX_BODY));
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    port,
    setBehaviour: (b) => void (behaviour = b),
    requests: () => log.map((r) => ({ ...r })),
    requestTimes: () => log.map((r) => r.at),
    failures: () => [...failed],
    deliveries: (key) => log.filter((r) => r.key === key).length,
    close: () =>
      new Promise<void>((resolve) => {
        for (const r of hanging) r.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

type Found = { route: PeerRoute; params: Record<string, string> } | 'no-route' | 'no-method';

/** The route for `method path`, with its parameters (decoded); which failure when there is none. */
function route(routes: PeerRoute[], method: string, path: string): Found {
  const segments = path.split('/').filter(Boolean);
  let pathMatched = false;
  for (const r of routes) {
    const pattern = r.path.split('/').filter(Boolean);
    if (pattern.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const ok = pattern.every((p, i) => {
      const s = decode(segments[i] ?? '');
      if (p.startsWith(':')) params[p.slice(1)] = s;
      return p.startsWith(':') || p === s;
    });
    if (!ok) continue;
    pathMatched = true;
    if (r.method === method) return { route: r, params };
  }
  return pathMatched ? 'no-method' : 'no-route';
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
