/** HL7 v2 coding system names (table 0396) to the canonical system URIs of the FHIR world. */
export const CODE_SYSTEM_URIS: Readonly<Record<string, string>> = {
  CPT: 'http://www.ama-assn.org/go/cpt',
  C4: 'http://www.ama-assn.org/go/cpt',
  HCPCS: 'urn:oid:2.16.840.1.113883.6.285',
  HCPT: 'urn:oid:2.16.840.1.113883.6.285',
  LN: 'http://loinc.org',
  I9: 'http://hl7.org/fhir/sid/icd-9-cm',
  I10: 'http://hl7.org/fhir/sid/icd-10',
};

/** A table 0396 name as a URI; names we do not know keep their own namespace. */
export const codeSystemUri = (name: string): string => CODE_SYSTEM_URIS[name] ?? `urn:hl7v2:0396:${name}`;

/** HL7 table 0003 ADT triggers to EncounterEvent.eventType. */
export const ADT_EVENT_TYPES = {
  A01: 'admit',
  A04: 'register',
  A08: 'update',
  A02: 'transfer',
  A03: 'discharge',
  A11: 'cancel',
  A13: 'cancel',
  A40: 'merge',
} as const;

/** FHIR Encounter.status to EncounterEvent.eventType. */
export const FHIR_ENCOUNTER_STATUS = {
  planned: 'register',
  arrived: 'register',
  triaged: 'register',
  'in-progress': 'admit',
  onleave: 'update',
  finished: 'discharge',
  cancelled: 'cancel',
  'entered-in-error': 'cancel',
} as const;

/** FHIR v3 ActCode encounter classes to HL7 v2 patient class (table 0004). */
export const FHIR_CLASS_TO_PATIENT_CLASS = {
  IMP: 'I',
  ACUTE: 'I',
  NONAC: 'I',
  EMER: 'E',
  AMB: 'O',
  OBSENC: 'O',
  SS: 'O',
  HH: 'O',
  VR: 'O',
  PRENC: 'P',
} as const;
