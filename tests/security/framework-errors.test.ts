/**
 * Issue 20, finding 9: requests Fastify or Node's HTTP parser refuse before any route runs (a URL
 * that does not decode, headers over 16 KiB, a request line that is not HTTP, a body that is not
 * JSON, a content type no route takes) were answered in Fastify's default format, echoed the URL,
 * and carried no CSP, nosniff or no-store. Every answer is now an RFC 9457 problem with the
 * security headers, and never echoes what was sent. Over a real socket: the parser's refusals
 * (431, a bad request line) never reach inject().
 */
import test from 'ava';
import { connect } from 'node:net';
import { startTestEngine, testChannel } from '../support/harness.ts';

/** A marker sent in each request; no answer may hold it. */
const MARKER = 'zzechozz';

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends `request` as bytes and reads the answer until the server closes the connection. */
function raw(port: number, request: string | Buffer): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const [head = '', ...rest] = text.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const i = line.indexOf(':');
        headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') });
    });
    socket.end(request);
  });
}

const get = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}Connection: close\r\n\r\n`;
const post = (path: string, type: string, body: string) =>
  `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${type}\r\n` +
  `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;

const CASES: { name: string; request: string; status: number }[] = [
  { name: 'a URL that does not decode (/api/%ff)', request: get(`/api/%ff${MARKER}`), status: 400 },
  { name: 'headers over 16 KiB (431)', request: get(`/api/health?${MARKER}`, `X-Padding: ${'a'.repeat(20_000)}\r\n`), status: 431 },
  { name: 'a request line that is not HTTP', request: `NOT-HTTP /${MARKER} ???\r\n\r\n`, status: 400 },
  { name: 'an unknown method', request: `BREW /api/${MARKER} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`, status: 400 },
  {
    name: 'a Content-Length that is not a number',
    request: `POST /api/auth/login?${MARKER} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${MARKER}\r\nConnection: close\r\n\r\n`,
    status: 400,
  },
  {
    name: 'a body that is not JSON',
    request: post(`/api/auth/login?${MARKER}`, 'application/json', `{"username": "${MARKER}`),
    status: 400,
  },
  { name: 'a content type no route takes', request: post(`/api/auth/login?${MARKER}`, `text/x-${MARKER}`, MARKER), status: 415 },
  { name: 'a content type that does not parse', request: post(`/api/auth/login?${MARKER}`, `;;${MARKER}/`, '{}'), status: 415 },
  { name: 'an unknown route', request: get(`/api/${MARKER}`), status: 404 },
  { name: 'an unknown route outside /api', request: get(`/${MARKER}/x.php`), status: 404 },
];

test('framework and parser errors answer an RFC 9457 problem with the security headers, never echoing the request', async (t) => {
  const sb = await startTestEngine({ channels: [testChannel({ erpUrl: 'http://127.0.0.1:9' })] });
  t.teardown(() => sb.close());
  const port = sb.addresses.http!.port;
  const wrong: string[] = [];
  for (const c of CASES) {
    const res = await raw(port, c.request);
    const miss = (what: string, ok: boolean) => ok || wrong.push(`${c.name}: ${what}`);
    miss(`status ${res.status}, not ${c.status}`, res.status === c.status);
    miss(`content type ${res.headers['content-type']}`, res.headers['content-type'] === 'application/problem+json; charset=utf-8');
    let problem: Record<string, unknown> = {};
    try {
      problem = JSON.parse(res.body) as Record<string, unknown>;
    } catch {
      miss(`the body is not JSON: ${res.body.slice(0, 120)}`, false);
    }
    miss('problem status', problem.status === c.status);
    miss('problem type', typeof problem.type === 'string' && problem.type.startsWith('https://switchboard.dev/problems/'));
    miss('problem title and code', typeof problem.title === 'string' && typeof problem.code === 'string');
    miss(`echoes the request: ${res.body.slice(0, 160)}`, !res.body.includes(MARKER));
    miss(`names an internal code: ${res.body.slice(0, 160)}`, !/FST_|ERR_|HPE_/.test(res.body));
    miss('no CSP', res.headers['content-security-policy']?.includes("default-src 'self'") === true);
    miss('no nosniff', res.headers['x-content-type-options'] === 'nosniff');
    miss('no no-store', res.headers['cache-control'] === 'no-store');
    miss('no X-Frame-Options', res.headers['x-frame-options'] === 'DENY');
  }
  t.deepEqual(wrong, []);

  // The FHIR edge answers in its own format: an OperationOutcome, with the same headers.
  const fhir = await raw(port, get(`/fhir/ehr-fhir/Patient/%ff${MARKER}`));
  t.is(fhir.status, 400);
  t.is(fhir.headers['content-type'], 'application/fhir+json; charset=utf-8');
  t.like(JSON.parse(fhir.body), { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'invalid' }] });
  t.false(fhir.body.includes(MARKER));
  t.is(fhir.headers['x-content-type-options'], 'nosniff');
  t.is(fhir.headers['cache-control'], 'no-store');
});
