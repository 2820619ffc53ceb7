import type { DeliveryPayload } from '../../engine/connector.ts';
import { SwitchboardError } from '../../engine/errors.ts';

/** The identifier system under which Switchboard's idempotency keys are written to FHIR servers. */
export const IDEMPOTENCY_SYSTEM = 'urn:switchboard:idempotency-key';

const get = (e: Record<string, unknown>, dotted: string) =>
  dotted.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), e);
const defined = (o: Record<string, unknown>) => JSON.parse(JSON.stringify(o)) as Record<string, unknown>;
const patient = (e: Record<string, unknown>) =>
  get(e, 'patient.mrn') ? { subject: { identifier: { type: { coding: [{ code: 'MR' }] }, value: get(e, 'patient.mrn') } } } : {};
/** The visit number and practitioner id are indirect identifiers: absent unless the data policy allows them. */
const visit = (e: Record<string, unknown>) => get(e, 'encounter.visitNumber');

/**
 * A canonical event as a FHIR R4 resource, carrying the idempotency key as an identifier so the
 * server's conditional create finds a repeat: ChargeEvent → ChargeItem, EncounterEvent → Encounter,
 * SupplyConsumptionEvent → SupplyDelivery, WorkforceEvent → PractitionerRole. Only what the data
 * policy left in the event is written: no reference or identifier is made up for an identifier it
 * removed. Another model is CANONICAL_INVALID (permanent).
 */
export function toFhir(payload: DeliveryPayload, idempotencyKey: string): Record<string, unknown> {
  const e = payload.event;
  const identifier = [{ system: IDEMPOTENCY_SYSTEM, value: idempotencyKey }];
  switch (payload.model) {
    case 'ChargeEvent':
      return defined({
        resourceType: 'ChargeItem',
        identifier,
        status: get(e, 'transactionType') === 'CD' ? 'aborted' : 'billable',
        code: { coding: [{ system: get(e, 'codeSystem'), code: get(e, 'code'), display: get(e, 'description') }] },
        ...patient(e),
        ...(visit(e) !== undefined ? { context: { identifier: { value: visit(e) } } } : {}),
        occurrenceDateTime: get(e, 'serviceDate'),
        quantity: { value: get(e, 'quantity') },
        ...(get(e, 'amount.value') !== undefined
          ? { priceOverride: { value: get(e, 'amount.value'), currency: get(e, 'amount.currency') } }
          : {}),
        ...(get(e, 'costCenter') ? { costCenter: { identifier: { value: get(e, 'costCenter') } } } : {}),
      });
    case 'EncounterEvent':
      return defined({
        resourceType: 'Encounter',
        identifier: [...identifier, ...(visit(e) !== undefined ? [{ value: visit(e) }] : [])],
        status: { discharge: 'finished', cancel: 'cancelled', register: 'planned' }[String(get(e, 'eventType'))] ?? 'in-progress',
        class: { system: 'http://terminology.hl7.org/CodeSystem/v2-0004', code: get(e, 'encounter.patientClass') },
        ...patient(e),
        period: { start: get(e, 'encounter.admittedAt'), end: get(e, 'encounter.dischargedAt') },
      });
    case 'SupplyConsumptionEvent':
      return defined({
        resourceType: 'SupplyDelivery',
        identifier,
        status: 'completed',
        suppliedItem: {
          quantity: { value: get(e, 'quantity') },
          itemCodeableConcept: { coding: [{ system: get(e, 'itemSystem'), code: get(e, 'itemCode'), display: get(e, 'description') }] },
        },
        occurrenceDateTime: get(e, 'consumedAt'),
        destination: { display: get(e, 'location') },
      });
    case 'WorkforceEvent':
      return defined({
        resourceType: 'PractitionerRole',
        identifier,
        active: get(e, 'eventType') !== 'offboard',
        ...(get(e, 'personId') !== undefined ? { practitioner: { reference: `Practitioner/${String(get(e, 'personId'))}` } } : {}),
        code: [{ coding: [{ code: get(e, 'roleCode'), display: get(e, 'roleName') }] }],
        period: { start: get(e, 'startDate'), end: get(e, 'endDate') },
      });
    default:
      throw new SwitchboardError('CANONICAL_INVALID', `no FHIR mapping for ${payload.model}`);
  }
}
