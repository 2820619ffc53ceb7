import { defineTransform, required } from '../dsl/define-transform.ts';
import { constant, dateTime, fhir, first, lookup } from '../dsl/expression.ts';
import { EncounterEventV1 } from '../canonical/encounter-event.ts';
import { FHIR_ENCOUNTER_CLASS, FHIR_ENCOUNTER_STATUS } from '../lookups/shipped-tables.ts';
import { mrnFromReference } from './references.ts';

/** FHIR R4 Encounter → one EncounterEvent (https://hl7.org/fhir/R4/encounter.html). */
export const fhirEncounterToEncounter = defineTransform({
  id: 'fhir.encounter-to-encounter',
  version: 1,
  description: 'A FHIR Encounter, created or updated, becomes one EncounterEvent.',
  model: EncounterEventV1,
  accepts: { fhir: ['Encounter'] },
  fields: {
    eventType: required(lookup(FHIR_ENCOUNTER_STATUS, fhir('status'))),
    occurredAt: required(dateTime(first(fhir('period.end'), fhir('period.start'), fhir('meta.lastUpdated')))),
    'encounter.visitNumber': required(first(fhir('identifier.value'), fhir('id'))),
    'encounter.patientClass': required(lookup(FHIR_ENCOUNTER_CLASS, first(fhir('class.code'), constant('?')))),
    'encounter.location': fhir('location.location.display'),
    'encounter.facility': fhir('serviceProvider.display'),
    'encounter.admittedAt': dateTime(fhir('period.start')),
    'encounter.dischargedAt': dateTime(fhir('period.end')),
    'patient.mrn': required(mrnFromReference('subject')),
  },
});
