import { request, type Agent, type Dispatcher } from 'undici';
import type { DeliveryContext } from '../../engine/connector.ts';
import { SwitchboardError } from '../../engine/errors.ts';
import { classifyNetworkError } from './http-failures.ts';
import { requestDeadline } from './request-deadline.ts';
import { openDispatcher, probeMutualTls, type TlsClientConfig } from './tls-client.ts';

/** What a peer answered: its status, headers and body text (empty when the body could not be read). */
export interface HttpAnswer {
  status: number;
  headers: Dispatcher.ResponseData['headers'];
  text: string;
}

/**
 * One HTTP destination's connection pool and TLS identity (erp-rest, http-json, fhir-out), opened on
 * first use; an open that fails (an unreadable TLS file) is tried again on the next use. Requests go
 * through undici's `request`, not fetch: the same pool and errors at a fraction of fetch's cost per
 * request, and no redirect followed.
 */
export class HttpPool {
  private dispatcher: Promise<Agent> | undefined;

  constructor(private readonly o: { tls?: TlsClientConfig | undefined; timeoutMs: number }) {}

  agent(): Promise<Agent> {
    this.dispatcher ??= openDispatcher(this.o.tls).catch((err: unknown) => {
      this.dispatcher = undefined;
      throw err;
    });
    return this.dispatcher;
  }

  /** Loads the TLS files (a bad path fails here) and, for mutual TLS to `origin`, checks that the peer accepts our certificate. */
  async connect(origin: string | URL): Promise<void> {
    await this.agent();
    const url = new URL(origin);
    if (url.protocol === 'https:' && this.o.tls?.clientCertificate)
      await probeMutualTls({ url, tls: this.o.tls, timeoutMs: this.o.timeoutMs });
  }

  async close(): Promise<void> {
    const pool = this.dispatcher;
    this.dispatcher = undefined;
    await pool?.then((agent) => agent.close()).catch(() => undefined);
  }

  /**
   * One request, bounded by the pool's timeout and the caller's `signal`. A failure to reach the
   * peer or to hear its answer is thrown classified (classifyNetworkError: not connected, timed out
   * or ambiguous); any HTTP answer is returned, for the connector to classify. `trace` (a delivery's
   * context): its W3C Trace Context headers go with the request (the connector's own headers win on
   * a clash), and the answer's status is told to its span.
   */
  async exchange(
    url: string | URL,
    init: { method: 'GET' | 'POST' | 'PUT' | 'DELETE'; headers: Record<string, string>; body?: string },
    signal: AbortSignal,
    trace?: Pick<DeliveryContext, 'traceHeaders' | 'traceStatus'>,
  ): Promise<HttpAnswer> {
    const dispatcher = await this.agent();
    const deadline = requestDeadline(signal, this.o.timeoutMs);
    const headers = trace?.traceHeaders ? { ...trace.traceHeaders, ...init.headers } : init.headers;
    try {
      const response = await request(url, { dispatcher, ...init, headers, signal: deadline.signal });
      trace?.traceStatus?.(response.statusCode);
      const text = await response.body.text().catch(() => '');
      return { status: response.statusCode, headers: response.headers, text };
    } catch (err) {
      throw classifyNetworkError(err, deadline.timedOut());
    } finally {
      deadline.done();
    }
  }

  /** GETs `url` without sending data, for the console's "test connection": the status, or the classified failure. */
  async reach(url: string | URL): Promise<number> {
    try {
      const res = await request(url, { dispatcher: await this.agent(), method: 'GET', signal: AbortSignal.timeout(this.o.timeoutMs) });
      await res.body.dump();
      return res.statusCode;
    } catch (err) {
      throw err instanceof SwitchboardError ? err : classifyNetworkError(err, false);
    }
  }
}
