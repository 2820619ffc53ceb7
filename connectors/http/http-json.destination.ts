import { Type, type Static } from '@sinclair/typebox';
import { request, type Agent, type Dispatcher } from 'undici';
import {
  defineDestination,
  type ConnectionTestResult,
  type DeliveryContext,
  type DeliveryPayload,
  type DeliveryResult,
  type DestinationConnector,
} from '../../engine/connector.ts';
import { SwitchboardError } from '../../engine/errors.ts';
import { CanonicalModelName } from '../../transforms/canonical/index.ts';
import { classifyHttpAnswer, classifyNetworkError, isSuccess } from './http-failures.ts';
import { readJsonAnswer } from './json-answer.ts';
import { requestDeadline } from './request-deadline.ts';
import { openDispatcher, probeMutualTls, TlsClientConfig } from './tls-client.ts';
import { fillUrl, URL_TEMPLATE_PATTERN } from './url-template.ts';

export const HttpJsonConfig = Type.Object({
  url: Type.String({
    pattern: URL_TEMPLATE_PATTERN,
    description:
      'http(s) URL; `{name}` after the host is filled with the event’s top-level string field `name`, URL-encoded, ' +
      'e.g. https://ehr.example.org/encounters/{visitNumber}',
  }),
  method: Type.Union([Type.Literal('POST'), Type.Literal('PUT'), Type.Literal('GET')], {
    default: 'POST',
    description: 'POST and PUT send the event as the JSON body; GET sends none (a lookup: the event fills the URL only)',
  }),
  headers: Type.Record(Type.String(), Type.String(), { default: {}, description: 'Extra request headers; their values are secrets' }),
  bearerToken: Type.Optional(Type.String({ minLength: 1, description: 'Sent as `Authorization: Bearer <token>` (secret)' })),
  timeoutMs: Type.Integer({
    minimum: 100,
    maximum: 300_000,
    default: 10_000,
    description: 'Per request; past it the attempt is ambiguous',
  }),
  idempotencyHeader: Type.String({
    minLength: 1,
    default: 'Idempotency-Key',
    description: 'Header carrying the delivery’s idempotency key',
  }),
  idField: Type.String({
    minLength: 1,
    default: 'id',
    description: 'Field of the JSON answer holding the peer’s id for what it created or found (in responseSummary)',
  }),
  tls: Type.Optional(TlsClientConfig),
});
export type HttpJsonConfig = Static<typeof HttpJsonConfig>;

const PEER = 'HTTP JSON API';

/**
 * A generic JSON-over-HTTP destination, for flow steps (`call` is POST or PUT, `lookup` GET) and
 * plain deliveries. It sends the event itself as the JSON body (none for GET), with the delivery's
 * idempotency key in `idempotencyHeader` (the peer is expected to de-duplicate by it: declared
 * idempotent) and `Accept: application/json`. Failures are classified as erp-rest's
 * (classifyHttpAnswer, classifyNetworkError): 5xx and 429 transient, 408 and our timeout ambiguous,
 * other 4xx PEER_REJECTED, and a GET's 404 PEER_NOT_FOUND (permanent: nothing to look up); no
 * redirect is followed. On 2xx, `output` is the JSON answer (readJsonAnswer: an object as is, any
 * other JSON value as `{ value }`, no output for an empty or non-JSON body) and `responseSummary` is
 * the status and the answer's `idField`, never body content. The answer is stored, never logged.
 */
export const httpJsonDestination = defineDestination({
  kind: 'http-json',
  title: 'HTTP JSON API',
  config: HttpJsonConfig,
  secrets: ['bearerToken', 'headers', 'tls.clientCertificate.keyPassphrase'],
  idempotent: true,
  models: Object.values(CanonicalModelName),
  examples: [
    {
      url: 'https://ehr.example.org/api/procedures',
      method: 'POST',
      headers: {},
      bearerToken: '${EHR_TOKEN}',
      timeoutMs: 10_000,
      idempotencyHeader: 'Idempotency-Key',
      idField: 'id',
    },
    {
      url: 'https://ehr.example.org/api/encounters/{visitNumber}',
      method: 'GET',
      headers: { 'X-Tenant': 'north' },
      timeoutMs: 5_000,
      idempotencyHeader: 'Idempotency-Key',
      idField: 'encounterId',
      tls: { caFile: '/etc/switchboard/ehr-ca.pem' },
    },
  ],
  create: (config) => new HttpJsonDestination(config),
});

class HttpJsonDestination implements DestinationConnector {
  /** This destination's connection pool (and TLS identity), opened on first use. */
  private dispatcher: Promise<Agent> | undefined;

  constructor(private readonly config: HttpJsonConfig) {}

  private pool(): Promise<Agent> {
    this.dispatcher ??= openDispatcher(this.config.tls).catch((err: unknown) => {
      this.dispatcher = undefined;
      throw err;
    });
    return this.dispatcher;
  }

  /** Loads the TLS files (a bad path fails here) and, for mutual TLS, checks that the peer accepts our certificate. */
  async connect(): Promise<void> {
    await this.pool();
    const url = new URL(new URL(this.config.url).origin);
    if (url.protocol === 'https:' && this.config.tls?.clientCertificate)
      await probeMutualTls({ url, tls: this.config.tls, timeoutMs: this.config.timeoutMs });
  }

  async close(): Promise<void> {
    const pool = this.dispatcher;
    this.dispatcher = undefined;
    await pool?.then((agent) => agent.close()).catch(() => undefined);
  }

  async send(payload: DeliveryPayload, ctx: DeliveryContext): Promise<DeliveryResult> {
    const url = fillUrl(this.config.url, payload.event);
    const { method } = this.config;
    const dispatcher = await this.pool();
    const deadline = requestDeadline(ctx.signal, this.config.timeoutMs);
    let response: Dispatcher.ResponseData;
    let text: string;
    try {
      response = await request(url, {
        dispatcher,
        method,
        headers: this.headers(ctx.idempotencyKey, method !== 'GET'),
        ...(method === 'GET' ? {} : { body: JSON.stringify(payload.event) }),
        signal: deadline.signal,
      });
      text = await response.body.text().catch(() => '');
    } catch (err) {
      throw classifyNetworkError(err, deadline.timedOut());
    } finally {
      deadline.done();
    }
    const status = response.statusCode;
    if (!isSuccess(status)) {
      const peerResponse = `${status} ${text.slice(0, 500)}`.trim();
      if (status === 404 && method === 'GET') throw new SwitchboardError('PEER_NOT_FOUND', `${PEER} answered 404`, { peerResponse });
      throw classifyHttpAnswer(status, response.headers, { peer: PEER, peerResponse });
    }
    const { output, id } = readJsonAnswer(text, this.config.idField);
    return {
      responseSummary: id ? `${status} ${this.config.idField}=${id}` : String(status),
      ...(id ? { peerDocumentId: id } : {}),
      ...(output ? { output } : {}),
    };
  }

  private headers(idempotencyKey: string, body: boolean): Record<string, string> {
    return {
      accept: 'application/json',
      ...(body ? { 'content-type': 'application/json' } : {}),
      [this.config.idempotencyHeader]: idempotencyKey,
      ...this.config.headers,
      ...(this.config.bearerToken ? { authorization: `Bearer ${this.config.bearerToken}` } : {}),
    };
  }

  /** Reaches the URL's origin (GET /) without sending data: any HTTP answer is reachable. */
  async test(): Promise<ConnectionTestResult> {
    try {
      await this.connect();
      const res = await request(new URL(this.config.url).origin, {
        dispatcher: await this.pool(),
        method: 'GET',
        signal: AbortSignal.timeout(this.config.timeoutMs),
      });
      await res.body.dump();
      return { ok: true, detail: `reachable (HTTP ${res.statusCode})` };
    } catch (err) {
      const e = err instanceof SwitchboardError ? err : classifyNetworkError(err, false);
      return { ok: false, detail: e.publicText };
    }
  }
}
