import { Type, type Static } from '@sinclair/typebox';
import { str, opt } from './data-class.ts';
import { SourceRef } from './source-ref.ts';

export const EncounterEventType = ['admit', 'register', 'update', 'transfer', 'discharge', 'cancel', 'merge'] as const;

/**
 * EncounterEvent v1: a visit began, changed or ended. From HL7v2 ADT (A01 admit, A04 register,
 * A08 update, A02 transfer, A03 discharge, A11/A13 cancel, A40 merge) and FHIR Encounter.
 */
export const EncounterEventV1 = Type.Object(
  {
    eventType: Type.Union(
      EncounterEventType.map((t) => Type.Literal(t)),
      { dataClass: 'operational' },
    ),
    occurredAt: str('operational', { description: 'Event time, ISO 8601 (EVN-2 or MSH-7)' }),
    encounter: Type.Object({
      visitNumber: str('indirect-identifier', {
        pseudonym: true,
        description: 'PV1-19.1 / Encounter.identifier, or its keyed pseudonym when the destination pseudonymises',
      }),
      patientClass: str('clinical', { description: 'PV1-2, HL7 table 0004 (I, O, E …)' }),
      location: opt(str('clinical', { description: 'PV1-3 point of care^room^bed' })),
      facility: opt(str('operational')),
      admittedAt: opt(str('clinical')),
      dischargedAt: opt(str('clinical')),
      attendingId: opt(str('indirect-identifier', { description: 'PV1-7.1 attending doctor id' })),
    }),
    patient: Type.Object({
      mrn: str('direct-identifier', { pseudonym: true, description: 'MRN, or its keyed pseudonym when the destination pseudonymises' }),
      familyName: opt(str('direct-identifier')),
      givenName: opt(str('direct-identifier')),
      birthDate: opt(str('direct-identifier')),
      mergedMrn: opt(str('direct-identifier', { description: 'MRG-1.1 on a merge' })),
    }),
    source: SourceRef,
  },
  {
    $id: 'EncounterEvent.v1',
    title: 'EncounterEvent',
    version: 1,
    description: 'A visit began, changed or ended. From HL7v2 ADT A01/A02/A03/A04/A08/A11/A13/A40 and FHIR Encounter.',
  },
);
export type EncounterEventV1 = Static<typeof EncounterEventV1>;
