import { createHash } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import {
  defineDestination,
  type ConnectionTestResult,
  type DeliveryContext,
  type DeliveryPayload,
  type DeliveryResult,
  type DestinationConnector,
} from '../../engine/connector.ts';
import type { SwitchboardError } from '../../engine/errors.ts';
import { headerValue, isSuccess } from '../http/http-failures.ts';
import { classifyHttpAnswer } from '../../engine/peer-answer.ts';
import { HttpPool } from '../http/http-pool.ts';
import { IDEMPOTENCY_SYSTEM, toFhir } from './fhir.outbound-mapping.ts';

export const FhirOutConfig = Type.Object({
  baseUrl: Type.String({ pattern: '^https?://', description: 'The FHIR R4 server base' }),
  /**
   * create: POST with conditional create; update: PUT to an id derived from the key; transaction: a one-entry transaction Bundle with
   * conditional create.
   */
  mode: Type.Union([Type.Literal('create'), Type.Literal('update'), Type.Literal('transaction')], { default: 'create' }),
  bearerToken: Type.Optional(Type.String({ minLength: 1, description: 'A secret' })),
  timeoutMs: Type.Integer({ minimum: 100, default: 10_000 }),
});
export type FhirOutConfig = Static<typeof FhirOutConfig>;

/**
 * FHIR destination: writes each canonical event as a FHIR R4 resource (fhir.outbound-mapping.ts).
 * Idempotent by construction: `create` and `transaction` use conditional create on the
 * idempotency-key identifier (a repeat finds the first resource), `update` PUTs to an id derived
 * from the key. 2xx delivered (Location kept as the peer's document id); any other answer as
 * classifyHttpAnswer (429 and 5xx transient with Retry-After, 408 ambiguous, 4xx permanent), with
 * the OperationOutcome text; network failures as for erp-rest.
 * A redirect is not followed (a 3xx is permanent, like erp-rest): it would take the resource to a
 * host the destination allow-list never checked.
 */
export const fhirOutDestination = defineDestination({
  kind: 'fhir-out',
  title: 'FHIR R4 server',
  config: FhirOutConfig,
  secrets: ['bearerToken'],
  idempotent: true,
  models: ['ChargeEvent', 'EncounterEvent', 'SupplyConsumptionEvent', 'WorkforceEvent'],
  examples: [{ baseUrl: 'https://fhir.example.org/r4', mode: 'create', timeoutMs: 10_000 }],
  create: (config) => new FhirOutDestination(config),
});

interface FhirRequest {
  url: string;
  method: 'POST' | 'PUT';
  body: unknown;
  headers: Record<string, string>;
}

class FhirOutDestination implements DestinationConnector {
  private readonly http: HttpPool;

  constructor(private readonly config: FhirOutConfig) {
    this.http = new HttpPool({ timeoutMs: config.timeoutMs });
  }

  async connect(): Promise<void> {
    await this.http.agent();
  }

  close(): Promise<void> {
    return this.http.close();
  }

  async send(payload: DeliveryPayload, ctx: DeliveryContext): Promise<DeliveryResult> {
    const resource = toFhir(payload, ctx.idempotencyKey);
    const type = String(resource.resourceType);
    const condition = `identifier=${IDEMPOTENCY_SYSTEM}|${ctx.idempotencyKey}`;
    const base = this.config.baseUrl.replace(/\/$/, '');
    const request = ((): FhirRequest => {
      switch (this.config.mode) {
        case 'create':
          return { url: `${base}/${type}`, method: 'POST', body: resource, headers: { 'if-none-exist': condition } };
        case 'update': {
          const id = `sb-${createHash('sha256').update(ctx.idempotencyKey).digest('hex').slice(0, 40)}`;
          return { url: `${base}/${type}/${id}`, method: 'PUT', body: { ...resource, id }, headers: {} };
        }
        case 'transaction':
          return {
            url: base,
            method: 'POST',
            body: {
              resourceType: 'Bundle',
              type: 'transaction',
              entry: [{ resource, request: { method: 'POST', url: type, ifNoneExist: condition } }],
            },
            headers: {},
          };
        default:
          return this.config.mode satisfies never;
      }
    })();
    const res = await this.http.exchange(
      request.url,
      {
        method: request.method,
        headers: {
          'content-type': 'application/fhir+json',
          accept: 'application/fhir+json',
          ...request.headers,
          ...(this.config.bearerToken ? { authorization: `Bearer ${this.config.bearerToken}` } : {}),
        },
        body: JSON.stringify(request.body),
      },
      ctx.signal,
      ctx,
    );
    const { status, text } = res;
    if (isSuccess(status)) {
      const location = headerValue(res, 'location') ?? (this.config.mode === 'transaction' ? transactionLocation(text) : undefined);
      return { responseSummary: `${status}${location ? ` ${location}` : ''}`, ...(location ? { peerDocumentId: location } : {}) };
    }
    const summary = `${status} ${outcomeText(text)}`.trim();
    throw classifyHttpAnswer(status, res.headers, { peer: 'the FHIR server', peerResponse: summary });
  }

  async test(): Promise<ConnectionTestResult> {
    try {
      const status = await this.http.reach(`${this.config.baseUrl.replace(/\/$/, '')}/metadata`);
      return { ok: isSuccess(status), detail: `metadata answered ${status}` };
    } catch (err) {
      return { ok: false, detail: (err as SwitchboardError).publicText };
    }
  }
}

/** The text of an OperationOutcome's issues (what a FHIR server says when it refuses), else the body's start. */
function outcomeText(body: string): string {
  try {
    const o = JSON.parse(body) as { issue?: { details?: { text?: string }; diagnostics?: string }[] };
    if (o.issue)
      return o.issue
        .map((i) => i.details?.text ?? i.diagnostics ?? '')
        .join('; ')
        .slice(0, 500);
  } catch {
    // not JSON: keep the start of the body
  }
  return body.slice(0, 500);
}

function transactionLocation(body: string): string | undefined {
  try {
    return (JSON.parse(body) as { entry?: { response?: { location?: string } }[] }).entry?.[0]?.response?.location;
  } catch {
    return undefined;
  }
}
