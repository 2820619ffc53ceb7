import type { LookupTable, LookupTables } from './lookup-table.ts';

/** HL7 table 0003 ADT triggers to EncounterEvent.eventType; another trigger is an error. */
export const HL7_ADT_EVENT_TYPES: LookupTable = {
  name: 'hl7-adt-event-types',
  version: 1,
  description: 'HL7 table 0003 ADT triggers to EncounterEvent.eventType',
  columns: ['trigger', 'eventType'],
  rows: [
    ['A01', 'admit'],
    ['A04', 'register'],
    ['A08', 'update'],
    ['A02', 'transfer'],
    ['A03', 'discharge'],
    ['A11', 'cancel'],
    ['A13', 'cancel'],
    ['A40', 'merge'],
  ],
  onMissing: { error: true },
};

/** FHIR Encounter.status to EncounterEvent.eventType; another status is an error. */
export const FHIR_ENCOUNTER_STATUS: LookupTable = {
  name: 'fhir-encounter-status',
  version: 1,
  description: 'FHIR Encounter.status to EncounterEvent.eventType',
  columns: ['status', 'eventType'],
  rows: [
    ['planned', 'register'],
    ['arrived', 'register'],
    ['triaged', 'register'],
    ['in-progress', 'admit'],
    ['onleave', 'update'],
    ['finished', 'discharge'],
    ['cancelled', 'cancel'],
    ['entered-in-error', 'cancel'],
  ],
  onMissing: { error: true },
};

/** FHIR v3 ActCode encounter classes to HL7 v2 patient class (table 0004); another class is `U` (unknown). */
export const FHIR_ENCOUNTER_CLASS: LookupTable = {
  name: 'fhir-encounter-class',
  version: 1,
  description: 'FHIR v3 ActCode encounter classes to HL7 v2 patient class (table 0004)',
  columns: ['class', 'patientClass'],
  rows: [
    ['IMP', 'I'],
    ['ACUTE', 'I'],
    ['NONAC', 'I'],
    ['EMER', 'E'],
    ['AMB', 'O'],
    ['OBSENC', 'O'],
    ['SS', 'O'],
    ['HH', 'O'],
    ['VR', 'O'],
    ['PRENC', 'P'],
  ],
  onMissing: { default: { patientClass: 'U' } },
};

/** FHIR ChargeItem.status to ChargeEvent.transactionType (HL7 table 0017: CG charge, CD credit); another status is an error. */
export const FHIR_CHARGEITEM_STATUS: LookupTable = {
  name: 'fhir-chargeitem-status',
  version: 1,
  description: 'FHIR ChargeItem.status to ChargeEvent.transactionType (CG charge, CD credit)',
  columns: ['status', 'transactionType'],
  rows: [
    ['planned', 'CG'],
    ['billable', 'CG'],
    ['billed', 'CG'],
    ['aborted', 'CD'],
    ['entered-in-error', 'CD'],
  ],
  onMissing: { error: true },
};

/** FHIR PractitionerRole.active to WorkforceEvent.eventType; another value is `change`. */
export const FHIR_PRACTITIONERROLE_ACTIVE: LookupTable = {
  name: 'fhir-practitionerrole-active',
  version: 1,
  description: 'FHIR PractitionerRole.active to WorkforceEvent.eventType',
  columns: ['active', 'eventType'],
  rows: [
    ['true', 'onboard'],
    ['false', 'offboard'],
  ],
  onMissing: { default: { eventType: 'change' } },
};

const shipped = new Map(
  [HL7_ADT_EVENT_TYPES, FHIR_ENCOUNTER_STATUS, FHIR_ENCOUNTER_CLASS, FHIR_CHARGEITEM_STATUS, FHIR_PRACTITIONERROLE_ACTIVE].map((t) => [
    t.name,
    t,
  ]),
);

/** The tables the shipped transforms read, by name (what their printed expressions name). */
export const shippedTables: LookupTables = { get: (name) => shipped.get(name) };
