import { defineChannel } from '../engine/channel.ts';

/**
 * The demo FHIR channel: clinical apps push Encounter, ChargeItem, SupplyDelivery and
 * PractitionerRole (and Patient, stored for the record) to /fhir/ehr-fhir; the canonical events go
 * to the ERP. Clients present the bearer token FHIR_API_TOKEN (no default: the demo makes one).
 * FHIR_PUBLIC_BASE_URL is the channel's address as clients reach it (default: HTTP_PORT's default
 * on localhost); set it when HTTP_PORT, a proxy or a host name differs.
 */
export default defineChannel({
  id: 'ehr-fhir',
  description: 'Clinical FHIR R4 resources to the finance ERP',
  source: {
    kind: 'fhir',
    tokens: ['${FHIR_API_TOKEN}'],
    bodyLimitBytes: '${FHIR_BODY_LIMIT_BYTES:-4194304}',
    publicBaseUrl: '${FHIR_PUBLIC_BASE_URL:-http://localhost:8080/fhir/ehr-fhir}',
  },
  accept: ['Encounter', 'ChargeItem', 'SupplyDelivery', 'PractitionerRole', 'Patient'],
  transforms: [
    'fhir.encounter-to-encounter',
    'fhir.chargeitem-to-charge',
    'fhir.supplydelivery-to-supply',
    'fhir.practitionerrole-to-workforce',
  ],
  destinations: [
    {
      id: 'erp-fhir',
      kind: 'erp-rest',
      config: { baseUrl: '${ERP_BASE_URL:-http://127.0.0.1:8090}' },
      models: ['EncounterEvent', 'ChargeEvent', 'SupplyConsumptionEvent', 'WorkforceEvent'],
      retry: { attempts: 8, initialDelayMs: 1000, maxDelayMs: 60000 },
      // The ERP posts charges and encounters to the patient account (the visit number) and onboards
      // staff by practitioner id: indirect identifiers, besides the default classes. No direct identifier.
      dataPolicy: { allow: ['clinical', 'financial', 'operational', 'indirect-identifier'] },
    },
  ],
});
