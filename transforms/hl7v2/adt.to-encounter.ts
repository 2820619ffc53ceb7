import { defineTransform, required } from '../dsl/define-transform.ts';
import { constant, dateTime, first, hl7, hl7Identifier, join, lookup } from '../dsl/expression.ts';
import { EncounterEventV1 } from '../canonical/encounter-event.ts';
import { HL7_ADT_EVENT_TYPES } from '../lookups/shipped-tables.ts';

/** ADT^A01/A02/A03/A04/A08/A11/A13/A40 → one EncounterEvent (HL7 v2.5.1 ch. 3). */
export const adtToEncounter = defineTransform({
  id: 'hl7v2.adt-to-encounter',
  version: 2,
  description: 'A visit began, changed or ended: one EncounterEvent per ADT message.',
  model: EncounterEventV1,
  accepts: { hl7: HL7_ADT_EVENT_TYPES.rows.map(([trigger]) => `ADT^${trigger}`) },
  fields: {
    eventType: required(lookup(HL7_ADT_EVENT_TYPES, hl7('MSH-9.2'))),
    occurredAt: required(dateTime(first(hl7('EVN-2'), hl7('MSH-7')))),
    'encounter.visitNumber': required(first(hl7('PV1-19.1'), hl7('PID-18.1'), constant(''))),
    'encounter.patientClass': required(first(hl7('PV1-2'), constant('U'))),
    'encounter.location': join('^', hl7('PV1-3.1'), hl7('PV1-3.2'), hl7('PV1-3.3')),
    'encounter.facility': hl7('PV1-3.4'),
    'encounter.admittedAt': dateTime(hl7('PV1-44')),
    'encounter.dischargedAt': dateTime(hl7('PV1-45')),
    'encounter.attendingId': hl7('PV1-7.1'),
    'patient.mrn': required(hl7Identifier('PID-3', 'MR')),
    'patient.familyName': hl7('PID-5.1'),
    'patient.givenName': hl7('PID-5.2'),
    'patient.birthDate': dateTime(hl7('PID-7')),
    'patient.mergedMrn': hl7('MRG-1.1'),
  },
});
