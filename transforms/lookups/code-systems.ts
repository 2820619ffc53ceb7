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
