/**
 * ERP simulator: a small real HTTP server standing in for a cloud ERP's posting API. It is the
 * demo's default ERP_BASE_URL and the peer of the erp-rest destination in tests. It records
 * postings, de-duplicates by Idempotency-Key, and can be told to fail, slow down or hang.
 * It logs nothing about bodies (they may carry patient data in tests).
 */
import http from 'node:http';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';

export interface Posting {
  idempotencyKey: string;
  path: string;
  body: unknown;
  receivedAt: string;
  documentId: string;
  /** How many times this key arrived, duplicates included. */
  deliveries: number;
  /** How many of the repeats came with a body other than the first one's (a sender that changed what the key meant). */
  changedBodies: number;
  /** The W3C `traceparent` header of its first arrival, when the sender traces. */
  traceparent?: string;
}

/** One API request as it arrived: when, where, and its headers (credentials included: for tests only). */
export interface ApiRequest {
  at: number;
  path: string;
  headers: http.IncomingHttpHeaders;
}

/** API requests whose headers are kept (the oldest are dropped past it): the demo's simulator runs for days. */
const KEPT_REQUESTS = 10_000;

export type Behaviour =
  | { mode: 'ok' }
  /** Answer `status` (and `body`) `times` times, then OK; times -1: for ever. */
  | {
      mode: 'fail';
      status: number;
      times: number;
      body?: unknown;
      retryAfterSeconds?: number;
      /** only requests whose body contains this */ match?: string;
    }
  | { mode: 'slow'; delayMs: number; times: number; /** extra random delay up to this */ jitterMs?: number }
  /** Accept the request and never answer, `times` times (timeout tests). */
  | { mode: 'hang'; times: number };

export interface ErpSimulator {
  url: string;
  port: number;
  postings(): Posting[];
  setBehaviour(b: Behaviour): void;
  reset(): void;
  /** Invalidates every access token it issued (OAuth2 mode): the next call with one gets 401. */
  revokeTokens(): void;
  /** When each API request arrived (ms since epoch), failures included. */
  requestTimes(): number[];
  /** Each API request's path and headers, in arrival order (the last 10,000), failures included. */
  requests(): ApiRequest[];
  /** The requests a `fail` behaviour answered: when each arrived (as in requestTimes) and the status it got. */
  failures(): { at: number; status: number }[];
  /** How many access tokens it issued. */
  tokensIssued(): number;
  /** Subjects (`CN=…`) of the client certificates the API requests came with (mutual TLS). */
  clientSubjects(): string[];
  /** Refuses (400) every posting whose body contains `text`, whatever the behaviour; undefined lifts it. */
  rejectMatching(text: string | undefined): void;
  /**
   * Refuses (400, `{ error: 'company code missing or unknown' }`) every posting whose header `name` is
   * not `value`, as an ERP does without the right company code; undefined lifts it.
   */
  requireHeader(header: { name: string; value: string } | undefined): void;
  close(): Promise<void>;
}

const MAX_BODY = 4 * 1024 * 1024;

export interface ErpSimulatorOptions {
  port?: number;
  host?: string;
  oauth?: { clientId: string; clientSecret: string };
  /** Serve HTTPS; with `ca`, mutual TLS: a client certificate signed by `ca` is required. */
  tls?: { cert: string; key: string; ca?: string };
}

export async function startErpSimulator(opts: ErpSimulatorOptions = {}): Promise<ErpSimulator> {
  const postings = new Map<string, Posting>();
  let behaviour: Behaviour = { mode: 'ok' };
  let sequence = 0;
  const hanging = new Set<http.ServerResponse>();
  const tokens = new Set<string>();
  const times: number[] = [];
  const requests: ApiRequest[] = [];
  const failed: { at: number; status: number }[] = [];
  let issued = 0;
  let poison: string | undefined;
  let required: { name: string; value: string } | undefined;
  const subjects: string[] = [];

  const json = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
  };
  /** Consumes one use of a limited behaviour; returns the behaviour that applies to this request. */
  const take = (raw: Buffer): Behaviour => {
    const b = behaviour;
    if (b.mode === 'ok') return b;
    if (b.mode === 'fail' && b.match !== undefined && !raw.includes(b.match)) return { mode: 'ok' };
    if (b.times === 0) return { mode: 'ok' };
    if (b.times > 0) behaviour = { ...b, times: b.times - 1 } as Behaviour;
    return b;
  };

  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => void handle(req, res, Buffer.concat(chunks)));
  };
  const tls = opts.tls;
  const server = tls
    ? https.createServer(
        { cert: tls.cert, key: tls.key, ...(tls.ca ? { ca: tls.ca, requestCert: true, rejectUnauthorized: true } : {}) },
        onRequest,
      )
    : http.createServer(onRequest);

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, raw: Buffer) {
    const url = new URL(req.url ?? '/', 'http://sim');
    if (url.pathname === '/_sim/health') return json(res, 200, { status: 'up' });
    if (url.pathname === '/_sim/postings' && req.method === 'GET') return json(res, 200, [...postings.values()]);
    if (url.pathname === '/_sim/reset' && req.method === 'POST') return (reset(), json(res, 200, { status: 'reset' }));
    if (url.pathname === '/_sim/behaviour' && req.method === 'POST') {
      try {
        behaviour = JSON.parse(raw.toString('utf8')) as Behaviour;
        return json(res, 200, behaviour);
      } catch {
        return json(res, 400, { error: 'behaviour must be JSON' });
      }
    }
    if (url.pathname === '/oauth/token' && req.method === 'POST' && opts.oauth) {
      const [id, secret] = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64')
        .toString()
        .split(':')
        .map(decodeURIComponent);
      if (id !== opts.oauth.clientId || secret !== opts.oauth.clientSecret) return json(res, 401, { error: 'invalid_client' });
      const token = `tok-${++issued}-${Math.random().toString(36).slice(2)}`;
      tokens.add(token);
      return json(res, 200, { access_token: token, token_type: 'bearer', expires_in: 3600 });
    }
    if (!url.pathname.startsWith('/api/')) {
      return req.method === 'GET' || req.method === 'HEAD'
        ? json(res, 200, { service: 'ERP simulator' })
        : json(res, 404, { error: 'not found' });
    }
    if (req.method !== 'POST') return json(res, 405, { error: 'method not allowed' });
    const at = Date.now();
    times.push(at);
    requests.push({ at, path: url.pathname, headers: req.headers });
    if (requests.length > KEPT_REQUESTS) requests.shift();
    const peer = (req.socket as TLSSocket).getPeerCertificate?.();
    if (peer?.subject) subjects.push(`CN=${peer.subject.CN}`);
    if (opts.oauth && !tokens.has((req.headers.authorization ?? '').replace(/^Bearer /, '')))
      return json(res, 401, { error: 'invalid_token' });
    if (raw.length > MAX_BODY) return json(res, 413, { error: 'body too large' });

    if (poison !== undefined && raw.includes(poison)) return json(res, 400, { error: 'rejected by the ERP' });
    if (required && req.headers[required.name.toLowerCase()] !== required.value)
      return json(res, 400, { error: 'company code missing or unknown' });
    const b = take(raw);
    switch (b.mode) {
      case 'ok':
        break;
      case 'fail':
        failed.push({ at, status: b.status });
        return json(
          res,
          b.status,
          b.body ?? { error: 'simulated failure' },
          b.retryAfterSeconds !== undefined ? { 'retry-after': String(b.retryAfterSeconds) } : {},
        );
      case 'slow':
        await new Promise((r) => setTimeout(r, b.delayMs + Math.random() * (b.jitterMs ?? 0)));
        break;
      case 'hang':
        hanging.add(res);
        return;
      default:
        return b satisfies never;
    }
    const key = req.headers['idempotency-key'];
    if (typeof key !== 'string' || key === '')
      return json(res, 400, { type: 'about:blank', title: 'Idempotency-Key header is required', status: 400 });
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return json(res, 400, { type: 'about:blank', title: 'body is not JSON', status: 400 });
    }
    const seen = postings.get(key);
    if (seen) {
      seen.deliveries++;
      if (JSON.stringify(body) !== JSON.stringify(seen.body)) seen.changedBodies++;
      return json(res, 200, { documentId: seen.documentId, status: 'posted' });
    }
    const documentId = `JE-${String(++sequence).padStart(6, '0')}`;
    postings.set(key, {
      idempotencyKey: key,
      path: url.pathname,
      body,
      receivedAt: new Date().toISOString(),
      documentId,
      deliveries: 1,
      changedBodies: 0,
      ...(typeof req.headers.traceparent === 'string' ? { traceparent: req.headers.traceparent } : {}),
    });
    return json(res, 201, { documentId, status: 'posted' });
  }

  function reset() {
    postings.clear();
    behaviour = { mode: 'ok' };
    sequence = 0;
  }

  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls ? 'https' : 'http'}://${opts.host ?? '127.0.0.1'}:${port}`,
    port,
    postings: () => [...postings.values()],
    setBehaviour: (b) => void (behaviour = b),
    reset,
    revokeTokens: () => tokens.clear(),
    requestTimes: () => [...times],
    requests: () => [...requests],
    failures: () => [...failed],
    tokensIssued: () => issued,
    clientSubjects: () => [...subjects],
    rejectMatching: (text) => void (poison = text),
    requireHeader: (header) => void (required = header),
    close: () =>
      new Promise<void>((resolve) => {
        for (const r of hanging) r.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i === -1 ? undefined : process.argv[i + 1];
  };
  const sim = await startErpSimulator({ port: Number(arg('--port') ?? 8090), host: arg('--host') ?? '127.0.0.1' });
  console.log(`ERP simulator listening on ${sim.url}`);
  const stop = () => void sim.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
