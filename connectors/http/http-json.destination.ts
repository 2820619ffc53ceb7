import { Type, type Static } from '@sinclair/typebox';
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
import { isSuccess } from './http-failures.ts';
import { classifyHttpAnswer } from '../../engine/peer-answer.ts';
import { HttpPool } from './http-pool.ts';
import { readJsonAnswer } from './json-answer.ts';
import { TlsClientConfig } from './tls-client.ts';
import { fillUrl, URL_TEMPLATE_PATTERN } from './url-template.ts';

export const HttpJsonConfig = Type.Object({
  url: Type.String({
    pattern: URL_TEMPLATE_PATTERN,
    description:
      'http(s) URL; `{name}` after the host is filled with the event’s top-level string field `name`, URL-encoded, ' +
      'e.g. https://ehr.example.org/encounters/{visitNumber}',
  }),
  method: Type.Union([Type.Literal('POST'), Type.Literal('PUT'), Type.Literal('GET'), Type.Literal('DELETE')], {
    default: 'POST',
    description:
      'POST and PUT send the event as the JSON body; GET (a lookup) and DELETE (a compensation) send none: the event fills the URL only',
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
 * idempotent) and `Accept: application/json`. DELETE (a compensation) sends no body, and its 404 is
 * success: what is already gone needs no removing. Failures are classified as erp-rest's
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
  private readonly http: HttpPool;

  constructor(private readonly config: HttpJsonConfig) {
    this.http = new HttpPool({ tls: config.tls, timeoutMs: config.timeoutMs });
  }

  /** Loads the TLS files (a bad path fails here) and, for mutual TLS, checks that the peer accepts our certificate. */
  connect(): Promise<void> {
    return this.http.connect(new URL(this.config.url).origin);
  }

  close(): Promise<void> {
    return this.http.close();
  }

  async send(payload: DeliveryPayload, ctx: DeliveryContext): Promise<DeliveryResult> {
    const url = fillUrl(this.config.url, payload.event);
    const { method } = this.config;
    const body = method === 'POST' || method === 'PUT';
    const { status, headers, text } = await this.http.exchange(
      url,
      { method, headers: this.headers(ctx.idempotencyKey, body), ...(body ? { body: JSON.stringify(payload.event) } : {}) },
      ctx.signal,
      ctx,
    );
    // DELETE is idempotent (RFC 9110 §9.3.5): what is already gone needs no removing.
    if (status === 404 && method === 'DELETE') return { responseSummary: '404 already gone' };
    if (!isSuccess(status)) {
      const peerResponse = `${status} ${text.slice(0, 500)}`.trim();
      if (status === 404 && method === 'GET') throw new SwitchboardError('PEER_NOT_FOUND', `${PEER} answered 404`, { peerResponse });
      throw classifyHttpAnswer(status, headers, { peer: PEER, peerResponse });
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
      return { ok: true, detail: `reachable (HTTP ${await this.http.reach(new URL(this.config.url).origin)})` };
    } catch (err) {
      return { ok: false, detail: (err as SwitchboardError).publicText };
    }
  }
}
