import test from 'ava';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { getEventListeners } from 'node:events';
import { request } from 'undici';
import { classifyNetworkError } from '../../connectors/http/http-failures.ts';
import { requestDeadline } from '../../connectors/http/request-deadline.ts';

/** A server that never answers: a request ends only by its deadline or its parent's abort. */
async function silentServer(t: import('ava').ExecutionContext): Promise<string> {
  const server = http.createServer(() => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())).then(() => server.closeAllConnections()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

async function send(url: string, parent: AbortSignal, ms: number) {
  const deadline = requestDeadline(parent, ms);
  try {
    await request(url, { method: 'POST', body: '{}', signal: deadline.signal });
    return undefined;
  } catch (err) {
    return classifyNetworkError(err, deadline.timedOut());
  } finally {
    deadline.done();
  }
}

test('past its time a request is aborted as a timeout (ambiguous)', async (t) => {
  const url = await silentServer(t);
  const e = await send(url, new AbortController().signal, 150);
  t.is(e?.code, 'PEER_TIMEOUT');
});

test("the parent's abort aborts every request in flight under it, not as a timeout; none is left listening", async (t) => {
  const url = await silentServer(t);
  const worker = new AbortController();
  const sends = [send(url, worker.signal, 10_000), send(url, worker.signal, 10_000)];
  await new Promise((r) => setTimeout(r, 100));
  t.is(getEventListeners(worker.signal, 'abort').length, 1, 'one listener for the requests in flight');
  worker.abort();
  for (const e of await Promise.all(sends)) t.deepEqual([e?.code, e?.message], ['PEER_CONNECTION_LOST', 'request aborted by the engine']);
  t.is(getEventListeners(worker.signal, 'abort').length, 0);
  const late = await send(url, worker.signal, 10_000);
  t.is(late?.code, 'PEER_CONNECTION_LOST', 'a request under a parent already aborted does not start');
});
