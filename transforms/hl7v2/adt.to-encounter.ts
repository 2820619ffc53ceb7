import { defineTransform, hl7DateTime, optional, required } from '../transform.ts';
import { EncounterEventV1, type EncounterEventV1 as Encounter } from '../canonical/encounter-event.ts';
import { hl7SourceRef } from './source-ref.ts';
import { medicalRecordNumber } from '../../engine/hl7-patient.ts';

/** ADT trigger (HL7 table 0003) to EncounterEvent.eventType. */
const EVENT_TYPES = {
  A01: 'admit',
  A04: 'register',
  A08: 'update',
  A02: 'transfer',
  A03: 'discharge',
  A11: 'cancel',
  A13: 'cancel',
  A40: 'merge',
} as const satisfies Record<string, Encounter['eventType']>;

/**
 * ADT^A01/A02/A03/A04/A08/A11/A13/A40 → one EncounterEvent v1.
 * Sources: EVN-2 (else MSH-7) time; PV1-19 visit; PV1-2 class; PV1-3 location; PID-3 MRN; PID-5 name;
 * PID-7 birth date; MRG-1 merged MRN. See HL7 v2.5.1 ch. 3 (ADT).
 */
export const adtToEncounter = defineTransform({
  id: 'hl7v2.adt-to-encounter',
  version: 1,
  model: 'EncounterEvent',
  modelVersion: 1,
  accepts: Object.keys(EVENT_TYPES).map((t) => `ADT^${t}`),
  schema: EncounterEventV1,
  map(message, ctx) {
    const trigger = message.header.triggerEvent as keyof typeof EVENT_TYPES;
    const occurred = optional(message, 'EVN-2') ?? required(message, 'MSH-7', 'occurredAt');
    const location = [message.get('PV1-3.1'), message.get('PV1-3.2'), message.get('PV1-3.3')].filter(Boolean).join('^');
    const admitted = optional(message, 'PV1-44');
    const discharged = optional(message, 'PV1-45');
    const event: Encounter = {
      eventType: EVENT_TYPES[trigger],
      occurredAt: hl7DateTime(occurred, 'occurredAt'),
      encounter: {
        visitNumber: optional(message, 'PV1-19.1') ?? optional(message, 'PID-18.1') ?? '',
        patientClass: optional(message, 'PV1-2') ?? 'U',
        ...(location ? { location } : {}),
        ...(optional(message, 'PV1-3.4') ? { facility: message.get('PV1-3.4') } : {}),
        ...(admitted ? { admittedAt: hl7DateTime(admitted, 'encounter.admittedAt') } : {}),
        ...(discharged ? { dischargedAt: hl7DateTime(discharged, 'encounter.dischargedAt') } : {}),
        ...(optional(message, 'PV1-7.1') ? { attendingId: message.get('PV1-7.1') } : {}),
      },
      patient: {
        mrn: medicalRecordNumber(message) || required(message, 'PID-3.1', 'patient.mrn'),
        ...(optional(message, 'PID-5.1') ? { familyName: message.get('PID-5.1') } : {}),
        ...(optional(message, 'PID-5.2') ? { givenName: message.get('PID-5.2') } : {}),
        ...(optional(message, 'PID-7') ? { birthDate: hl7DateTime(message.get('PID-7'), 'patient.birthDate') } : {}),
        ...(optional(message, 'MRG-1.1') ? { mergedMrn: message.get('MRG-1.1') } : {}),
      },
      source: hl7SourceRef(message, ctx),
    };
    return [event];
  },
});
