import { Type, type Static } from '@sinclair/typebox';
import {
  defineDestination,
  type SharedScripts,
  type ConnectionTestResult,
  type DeliveryContext,
  type DeliveryPayload,
  type DeliveryResult,
  type DestinationConnector,
} from '../../engine/connector.ts';
import { SwitchboardError } from '../../engine/errors.ts';
import { OAuth2Client } from './oauth2.ts';
import { isSuccess } from '../http/http-failures.ts';
import { classifyHttpAnswer } from '../../engine/peer-answer.ts';
import { HttpPool } from '../http/http-pool.ts';
import { RateLimiter } from './rate-limit.ts';
import { TlsClientConfig } from '../http/tls-client.ts';
import { readJsonAnswer } from '../http/json-answer.ts';

export const ErpRestConfig = Type.Object({
  baseUrl: Type.String({ pattern: '^https?://', description: 'The ERP API base URL, e.g. https://erp.example.org' }),
  paths: Type.Record(Type.String(), Type.String({ pattern: '^/' }), {
    default: {
      EncounterEvent: '/api/v1/encounters',
      ChargeEvent: '/api/v1/journal/charges',
      SupplyConsumptionEvent: '/api/v1/inventory/consumption',
      WorkforceEvent: '/api/v1/hr/onboarding',
      default: '/api/v1/events',
    },
    description: 'Path per canonical model name; `default` for any other model',
  }),
  timeoutMs: Type.Integer({
    minimum: 100,
    maximum: 300_000,
    default: 10_000,
    description: 'Per request; past it the attempt is ambiguous',
  }),
  apiKey: Type.Optional(Type.String({ minLength: 1, description: 'Sent in `apiKeyHeader` (secret)' })),
  apiKeyHeader: Type.String({ default: 'X-API-Key' }),
  headers: Type.Record(Type.String(), Type.String(), { default: {}, description: 'Extra request headers' }),
  oauth2: Type.Optional(
    Type.Object(
      {
        tokenUrl: Type.String({ pattern: '^https?://' }),
        clientId: Type.String({ minLength: 1 }),
        clientSecret: Type.String({ minLength: 1, description: 'A secret' }),
        scope: Type.Optional(Type.String()),
      },
      { description: 'OAuth2 client credentials (RFC 6749 §4.4): a bearer token fetched and renewed before it expires' },
    ),
  ),
  tls: Type.Optional(TlsClientConfig),
  rateLimitPerSecond: Type.Optional(
    Type.Number({
      exclusiveMinimum: 0,
      description: 'Requests per second at most, across every engine process; a 429 Retry-After pauses all sends in every process',
    }),
  ),
});
export type ErpRestConfig = Static<typeof ErpRestConfig>;

/**
 * ERP REST destination: POSTs each canonical event as JSON
 * `{ model, modelVersion, idempotencyKey, event }` to `baseUrl + paths[model]` with an
 * `Idempotency-Key` header, so the ERP can de-duplicate retries (it is declared idempotent).
 * Classification: 2xx delivered (the ERP's `documentId` kept, its JSON answer, ids only, as `output`); other answers as classifyHttpAnswer
 * (5xx PEER_UNAVAILABLE and 429 PEER_RATE_LIMITED, transient with Retry-After; 408 PEER_TIMEOUT;
 * other 4xx PEER_REJECTED, permanent, with the ERP's answer); our timeout PEER_TIMEOUT (ambiguous);
 * refused or unresolvable PEER_NOT_CONNECTED;
 * a connection lost mid-request PEER_CONNECTION_LOST (ambiguous). The ERP's answer is stored with
 * the attempt, never logged. Optional OAuth2 client credentials (token cached until shortly
 * before it expires, renewed after a 401), mutual TLS (`tls.clientCertificate`, used for the
 * token endpoint too), and a rate limit (`rateLimitPerSecond`, held across every engine process
 * through Redis; see RateLimiter) that a 429's Retry-After pauses in every process. A TLS handshake the peer
 * refuses, or a peer certificate we do not trust, is PEER_TLS_FAILED: nothing was sent.
 */
export const erpRestDestination = defineDestination({
  kind: 'erp-rest',
  title: 'ERP REST API',
  config: ErpRestConfig,
  secrets: ['apiKey', 'oauth2.clientSecret', 'tls.clientCertificate.keyPassphrase'],
  idempotent: true,
  models: ['EncounterEvent', 'ChargeEvent', 'SupplyConsumptionEvent', 'WorkforceEvent'],
  examples: [
    {
      baseUrl: 'https://erp.example.org',
      paths: { EncounterEvent: '/api/v1/encounters', ChargeEvent: '/api/v1/journal/charges', default: '/api/v1/events' },
      timeoutMs: 10_000,
      apiKeyHeader: 'X-API-Key',
      headers: {},
    },
    {
      baseUrl: 'https://erp.example.org',
      paths: { default: '/api/v1/events' },
      timeoutMs: 10_000,
      apiKeyHeader: 'X-API-Key',
      headers: {},
      tls: {
        caFile: '/etc/switchboard/erp-ca.pem',
        clientCertificate: { certFile: '/etc/switchboard/client.pem', keyFile: '/etc/switchboard/client.key' },
      },
    },
  ],
  create: (config, deps) => new ErpRestDestination(config, deps.shared),
});

class ErpRestDestination implements DestinationConnector {
  private readonly oauth: OAuth2Client | undefined;
  private readonly limiter: RateLimiter | undefined;
  private readonly http: HttpPool;

  constructor(
    private readonly config: ErpRestConfig,
    shared: SharedScripts | undefined,
  ) {
    this.http = new HttpPool({ tls: config.tls, timeoutMs: config.timeoutMs });
    this.oauth = config.oauth2
      ? new OAuth2Client({ ...config.oauth2, timeoutMs: config.timeoutMs, dispatcher: () => this.http.agent() })
      : undefined;
    this.limiter = config.rateLimitPerSecond ? new RateLimiter(config.rateLimitPerSecond, shared) : undefined;
  }

  /** Loads the TLS files (a bad path fails here) and, for mutual TLS, checks that the ERP accepts our certificate. */
  connect(): Promise<void> {
    return this.http.connect(this.config.baseUrl);
  }

  close(): Promise<void> {
    return this.http.close();
  }

  async send(payload: DeliveryPayload, ctx: DeliveryContext): Promise<DeliveryResult> {
    const path = this.config.paths[payload.model] ?? this.config.paths.default ?? '/api/v1/events';
    const url = new URL(path, this.config.baseUrl);
    await this.http.agent();
    await this.limiter?.take(ctx.signal);
    const bearer = this.oauth ? await this.oauth.token() : undefined;
    const { status, headers, text } = await this.http.exchange(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': ctx.idempotencyKey,
          ...this.config.headers,
          ...(this.config.apiKey ? { [this.config.apiKeyHeader]: this.config.apiKey } : {}),
          ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
        },
        body: JSON.stringify({
          model: payload.model,
          modelVersion: payload.modelVersion,
          idempotencyKey: ctx.idempotencyKey,
          event: payload.event,
        }),
      },
      ctx.signal,
      ctx,
    );
    const summary = `${status} ${text.slice(0, 500)}`.trim();
    if (isSuccess(status)) {
      const { output, id: documentId } = readJsonAnswer(text, 'documentId');
      return {
        responseSummary: documentId ? `${status} doc=${documentId}` : String(status),
        ...(documentId ? { peerDocumentId: documentId } : {}),
        ...(output ? { output } : {}),
      };
    }
    if (status === 401 && this.oauth) {
      // The token was revoked or expired early: forget it, and the retry fetches a new one.
      this.oauth.forget();
      throw new SwitchboardError('PEER_UNAVAILABLE', 'ERP refused the access token', { peerResponse: summary });
    }
    const failure = classifyHttpAnswer(status, headers, { peer: 'ERP', peerResponse: summary });
    if (failure.code === 'PEER_RATE_LIMITED' && failure.retryAfterMs) {
      // The pause is shared by every process; if Redis cannot take it, this delivery's retry still waits Retry-After.
      const unshared = (err: unknown) => ctx.log.warn('rate limit pause not shared', { error: (err as Error).name });
      await this.limiter?.pause(failure.retryAfterMs).catch(unshared);
    }
    throw failure;
  }

  async test(): Promise<ConnectionTestResult> {
    try {
      await this.connect();
      return { ok: true, detail: `reachable (HTTP ${await this.http.reach(this.config.baseUrl)})` };
    } catch (err) {
      return { ok: false, detail: (err as SwitchboardError).publicText };
    }
  }
}
