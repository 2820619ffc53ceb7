/**
 * FHIR server simulator: a small real HTTP server holding resources in memory. It honours
 * conditional create (`If-None-Exist: identifier=<system>|<value>`: an existing match answers 200
 * instead of creating), PUT upserts, and transaction Bundles of such entries. It can be told to fail.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FhirServerPeer {
  url: string;
  resources(): Record<string, unknown>[];
  failNext(status: number, times: number): void;
  close(): Promise<void>;
}

export async function startFhirServerPeer(): Promise<FhirServerPeer> {
  const store = new Map<string, Record<string, unknown>>();
  let failure: { status: number; times: number } | undefined;
  let seq = 0;
  const send = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
    res.writeHead(status, { 'content-type': 'application/fhir+json', ...headers }).end(JSON.stringify(body));
  const identifierOf = (r: Record<string, unknown>) =>
    ((r.identifier as { system?: string; value?: string }[] | undefined) ?? []).map((i) => `${i.system}|${i.value}`);

  /** Creates (or, with a condition that matches, finds) a resource; returns [status, location]. */
  const create = (type: string, resource: Record<string, unknown>, ifNoneExist?: string): [number, string] => {
    const wanted = ifNoneExist?.replace(/^identifier=/, '');
    const existing = wanted
      ? [...store.entries()].find(([k, r]) => k.startsWith(`${type}/`) && identifierOf(r).includes(wanted))
      : undefined;
    if (existing) return [200, existing[0]];
    const id = `${type.toLowerCase()}-${++seq}`;
    store.set(`${type}/${id}`, { ...resource, id });
    return [201, `${type}/${id}`];
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (failure && failure.times > 0) {
        failure.times--;
        return send(res, failure.status, {
          resourceType: 'OperationOutcome',
          issue: [{ severity: 'error', code: 'processing', details: { text: 'simulated failure' } }],
        });
      }
      const parts = (req.url ?? '/').split('?')[0]!.split('/').filter(Boolean);
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      } catch {
        return send(res, 400, {
          resourceType: 'OperationOutcome',
          issue: [{ severity: 'error', code: 'structure', details: { text: 'not JSON' } }],
        });
      }
      if (req.method === 'POST' && parts.length === 0 && body.resourceType === 'Bundle') {
        const entries = (body.entry as { resource: Record<string, unknown>; request: { url: string; ifNoneExist?: string } }[]) ?? [];
        const responses = entries.map((e) => {
          const [status, location] = create(e.request.url, e.resource, e.request.ifNoneExist);
          return { response: { status: status === 201 ? '201 Created' : '200 OK', location } };
        });
        return send(res, 200, { resourceType: 'Bundle', type: 'transaction-response', entry: responses });
      }
      if (req.method === 'POST' && parts.length === 1) {
        const [status, location] = create(parts[0]!, body, req.headers['if-none-exist'] as string | undefined);
        return send(res, status, store.get(location), { location });
      }
      if (req.method === 'PUT' && parts.length === 2) {
        const key = `${parts[0]}/${parts[1]}`;
        const status = store.has(key) ? 200 : 201;
        store.set(key, body);
        return send(res, status, body, { location: key });
      }
      if (req.method === 'GET' && parts[0] === 'metadata')
        return send(res, 200, {
          resourceType: 'CapabilityStatement',
          status: 'active',
          kind: 'instance',
          fhirVersion: '4.0.1',
          format: ['json'],
        });
      send(res, 404, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found', details: { text: 'unknown' } }] });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    resources: () => [...store.values()],
    failNext: (status, times) => void (failure = { status, times }),
    close: () => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}
