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

/** The state of one peer and how it answers a request; the server around it is startHttpPeer's. */
class PeerCore {
  behaviour: PeerBehaviour = { mode: 'ok' };
  readonly log: PeerRequest[] = [];
  readonly failed: { at: number; status: number }[] = [];
  readonly hanging = new Set<http.ServerResponse>();
  /** The first answer to each Idempotency-Key (a promise: repeats arriving meanwhile wait for it). */
  private readonly answers = new Map<string, Promise<Stored>>();

  constructor(private readonly opts: HttpPeerOptions) {}

  encode(a: PeerAnswer): Stored {
    const type = this.opts.contentType ?? 'application/json';
    return {
      status: a.status,
      headers: { ...(a.body === undefined ? {} : { 'content-type': type }), ...a.headers },
      bytes: a.body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(a.body)),
    };
  }

  error(status: number, detail: string, headers: Record<string, string> = {}): Stored {
    return this.encode({ status, body: this.opts.errorBody ? this.opts.errorBody(status, detail) : { error: detail }, headers });
  }

  /** Answers a request; undefined: leave it hanging. */
  async answer(req: http.IncomingMessage, raw: Buffer, tooLarge: boolean): Promise<Stored | undefined> {
    const url = new URL(req.url ?? '/', 'http://peer');
    const method = req.method ?? 'GET';
    const own = this.control(method, url.pathname, raw);
    if (own) return own;
    const found = route(this.opts.routes, method, url.pathname);
    if (found === 'no-route') return this.error(404, 'not found');
    if (found === 'no-method') return this.error(405, 'method not allowed');
    const header = req.headers['idempotency-key'];
    const key = typeof header === 'string' && header !== '' ? header : undefined;
    const entry: PeerRequest = { method, path: url.pathname, key, at: Date.now(), body: undefined };
    this.log.push(entry);
    const simulated = await this.simulate(entry);
    if (simulated !== 'go on') return simulated;
    if (tooLarge) return this.error(413, 'body too large');
    if (raw.length > 0) {
      try {
        entry.body = JSON.parse(raw.toString('utf8'));
      } catch {
        return this.error(400, 'body is not JSON');
      }
    }
    const run = () => this.encode(found.route.handler({ ...entry, params: found.params, query: url.searchParams }));
    if (method === 'GET') return run();
    if (key === undefined)
      return method === 'POST' && this.opts.requireKey !== false ? this.error(400, 'Idempotency-Key header is required') : run();
    const first = this.answers.get(key);
    if (first) return first;
    const answer = Promise.resolve(run());
    this.answers.set(key, answer);
    return answer;
  }

  /** `GET /`, `/_sim/health` and `POST /_sim/behaviour`; undefined for any other request. */
  private control(method: string, path: string, raw: Buffer): Stored | undefined {
    if (path === '/' && method === 'GET') return this.encode({ status: 200, body: { service: this.opts.name } });
    if (path === '/_sim/health') return this.encode({ status: 200, body: { status: 'up', service: this.opts.name } });
    if (path !== '/_sim/behaviour' || method !== 'POST') return undefined;
    try {
      this.behaviour = JSON.parse(raw.toString('utf8')) as PeerBehaviour;
      return this.encode({ status: 200, body: this.behaviour });
    } catch {
      return this.error(400, 'behaviour must be JSON');
    }
  }

  /** Applies the behaviour (using one of its `times`): a failure's answer, undefined to hang, or 'go on' (after a delay if slow). */
  private async simulate(entry: PeerRequest): Promise<Stored | undefined | 'go on'> {
    const b = this.behaviour;
    if (b.mode === 'ok' || b.times === 0 || (b.match !== undefined && !entry.path.includes(b.match))) return 'go on';
    if (b.times > 0) this.behaviour = { ...b, times: b.times - 1 };
    switch (b.mode) {
      case 'fail': {
        this.failed.push({ at: entry.at, status: b.status });
        const retry: Record<string, string> = b.retryAfterSeconds === undefined ? {} : { 'retry-after': String(b.retryAfterSeconds) };
        return b.body === undefined
          ? this.error(b.status, 'simulated failure', retry)
          : this.encode({ status: b.status, body: b.body, headers: retry });
      }
      case 'hang':
        return undefined;
      case 'slow':
        await new Promise((r) => setTimeout(r, b.delayMs + Math.random() * (b.jitterMs ?? 0)));
        return 'go on';
      default:
        return b satisfies never;
    }
  }
}

/** Starts the peer; it listens once the promise resolves. */
export async function startHttpPeer(opts: HttpPeerOptions): Promise<HttpPeer> {
  const core = new PeerCore(opts);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      void core.answer(req, Buffer.concat(chunks), size > MAX_BODY).then(
        (s) => (s ? res.writeHead(s.status, s.headers).end(s.bytes) : core.hanging.add(res)),
        () => res.writeHead(500).end(),
      );
    });
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    port,
    setBehaviour: (b) => void (core.behaviour = b),
    requests: () => core.log.map((r) => ({ ...r })),
    requestTimes: () => core.log.map((r) => r.at),
    failures: () => [...core.failed],
    deliveries: (key) => core.log.filter((r) => r.key === key).length,
    close: () =>
      new Promise<void>((resolve) => {
        for (const r of core.hanging) r.destroy();
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
