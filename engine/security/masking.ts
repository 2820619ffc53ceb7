import type { TSchema } from '@sinclair/typebox';
import { canonicalSchema } from '../../transforms/canonical/index.ts';
import { DataClass } from '../../transforms/canonical/data-class.ts';
import type { CanonicalEvent, MessageSummary } from '../store/message-record.ts';

/**
 * Masking for users without the PHI permission: what they see of a message keeps its shape (so a
 * support analyst can still tell which field is empty or malformed) with PHI replaced by `***`.
 * Applied to views and search results by the admin API, never to stored data.
 * What is PHI is decided once, by data class (isPhi): the canonical models class every field
 * (transforms/canonical/data-class.ts) and HL7_FIELDS_BY_CLASS classes the HL7v2 fields, so the
 * same fact is masked alike in the raw message, the canonical event and wherever else it shows:
 * the visit number in PV1-19 and `encounter.visitNumber`, a result value in OBX-5.
 */
export const MASK = '***';

/**
 * The data classes shown only with the PHI permission, as a hospital's privacy office draws the
 * line: identifiers, direct and indirect, and clinical content (results, diagnoses, notes, where and
 * why a patient is cared for) are PHI; financial amounts and codes, and what the exchange is and
 * when (operational), are not, and support work without the PHI permission needs them.
 */
export function isPhi(c: DataClass): boolean {
  switch (c) {
    case DataClass.directIdentifier:
    case DataClass.indirectIdentifier:
    case DataClass.clinical:
      return true;
    case DataClass.financial:
    case DataClass.operational:
      return false;
    default:
      return c satisfies never;
  }
}

/** HL7v2 fields per segment, by field number (MSH-1 is the field separator, so MSH-n counts it). */
type Hl7Fields = Readonly<Record<string, readonly number[]>>;

/**
 * HL7v2 fields by data class (HL7 v2.5.1 field numbers), the one table raw messages and ACKs are
 * masked by: every field of a class isPhi holds is masked; a field listed under two classes is
 * masked if either is PHI. Fields not listed are shown; the non-PHI classes list what support work
 * reads, for the record.
 * - direct identifiers: HIPAA's 18 of the patient, relatives and guarantors: names, dates tied to a
 *   person, addresses, telephone numbers, record, account, insurance and SSN numbers.
 * - indirect identifiers: the visit number (PV1-19, -50), practitioners (PV1-7 attending, -8
 *   referring, -9 consulting, -17 admitting; FT1-20 performed by, -21 ordered by; ORC-12, OBR-16
 *   ordering, OBR-32 interpreter, OBX-16 observer, DG1-16 clinician; EVN-5 the operator), order
 *   numbers (ORC-2/3, OBR-2/3) and the message control id (MSH-10, echoed in an ACK's MSA-2).
 * - clinical: results (OBX-3 what, -5 the value, -6 units, -7 range, -8 flags), notes (NTE-3),
 *   what was ordered and why (OBR-4, -13, -15, -31), diagnoses (DG1-3/4, FT1-19), procedures
 *   (PR1-3/4, FT1-25), allergies (AL1-2..5), the patient's class, location, service and stay
 *   (PV1-2, -3, -10, -36, -44, -45), the admit reason (PV2-3).
 */
export const HL7_FIELDS_BY_CLASS: Readonly<Record<DataClass, Hl7Fields>> = {
  [DataClass.directIdentifier]: {
    PID: [2, 3, 4, 5, 6, 7, 9, 11, 12, 13, 14, 18, 19, 20, 21, 23, 26, 29],
    PD1: [3, 4],
    NK1: [2, 4, 5, 6, 16, 30, 31, 32, 33, 37],
    GT1: [2, 3, 5, 6, 7, 8, 12, 19],
    IN1: [16, 18, 19, 36, 49],
    IN2: [2, 6, 8],
    MRG: [1, 2, 3, 4, 5, 6, 7],
  },
  [DataClass.indirectIdentifier]: {
    MSH: [10],
    MSA: [2],
    EVN: [5],
    PV1: [7, 8, 9, 17, 19, 50],
    FT1: [20, 21],
    ORC: [2, 3, 12],
    OBR: [2, 3, 16, 32],
    OBX: [16],
    DG1: [16],
  },
  [DataClass.clinical]: {
    PV1: [2, 3, 10, 36, 44, 45],
    PV2: [3],
    OBR: [4, 13, 15, 31],
    OBX: [3, 5, 6, 7, 8],
    NTE: [3],
    DG1: [3, 4],
    PR1: [3, 4],
    AL1: [2, 3, 4, 5],
    FT1: [19, 25],
  },
  [DataClass.financial]: { FT1: [4, 6, 7, 10, 11, 13], ZFT: [2, 3] },
  [DataClass.operational]: { MSH: [3, 4, 5, 6, 7, 9, 12], EVN: [1, 2], MSA: [1] },
};

/** The fields HL7_FIELDS_BY_CLASS gives the PHI classes, merged per segment. */
const HL7_MASKED: Hl7Fields = (() => {
  const merged: Record<string, Set<number>> = {};
  for (const [dataClass, segments] of Object.entries(HL7_FIELDS_BY_CLASS) as [DataClass, Hl7Fields][]) {
    if (!isPhi(dataClass)) continue;
    for (const [segment, fields] of Object.entries(segments)) for (const n of fields) (merged[segment] ??= new Set()).add(n);
  }
  return Object.fromEntries(Object.entries(merged).map(([segment, fields]) => [segment, [...fields].sort((a, b) => a - b)]));
})();

/** Masks the PHI fields (HL7_FIELDS_BY_CLASS) of an HL7v2 message or ACK given as text (segments split by CR or LF). */
export function maskHl7(text: string): string {
  const fieldSep = text.startsWith('MSH') ? (text[3] ?? '|') : '|';
  return text
    .split(/(\r\n|\r|\n)/)
    .map((line) => {
      const segment = line.slice(0, 3);
      const fields = HL7_MASKED[segment];
      if (!fields || fields.length === 0) return line;
      const parts = line.split(fieldSep);
      // MSH-1 is the separator itself, so MSH-n is the (n-1)th part.
      const shift = segment === 'MSH' ? 1 : 0;
      for (const n of fields) if (parts[n - shift]) parts[n - shift] = MASK;
      return parts.join(fieldSep);
    })
    .join('');
}

/**
 * FHIR R4 element names by data class, masked at any depth when their class isPhi (as HL7_FIELDS_BY_CLASS
 * for HL7v2). Identifiers: a person's name, identifiers, contacts, birth date, and every `reference`
 * and `display` (`Patient/pat-100234`); the narrative `text` too. Clinical: the encounter's class,
 * reasons, diagnoses and stay, observation values (`value[x]`), interpretations, notes, conclusions.
 */
export const FHIR_KEYS_BY_CLASS: Readonly<Record<DataClass, readonly string[]>> = {
  [DataClass.directIdentifier]: [
    'name',
    'identifier',
    'telecom',
    'address',
    'birthDate',
    'photo',
    'contact',
    'deceasedDateTime',
    'multipleBirthInteger',
    'text',
  ],
  [DataClass.indirectIdentifier]: ['reference', 'display'],
  [DataClass.clinical]: [
    'class',
    'reasonCode',
    'reasonReference',
    'diagnosis',
    'hospitalization',
    'interpretation',
    'note',
    'conclusion',
    'conclusionCode',
    'presentedForm',
    'valueQuantity',
    'valueCodeableConcept',
    'valueString',
    'valueBoolean',
    'valueInteger',
    'valueRange',
    'valueRatio',
    'valueSampledData',
    'valueTime',
    'valueDateTime',
    'valuePeriod',
  ],
  [DataClass.financial]: ['priceOverride', 'factorOverride', 'quantity'],
  [DataClass.operational]: ['resourceType', 'status', 'meta'],
};

const FHIR_MASKED = new Set(
  (Object.entries(FHIR_KEYS_BY_CLASS) as [DataClass, readonly string[]][]).flatMap(([c, keys]) => (isPhi(c) ? keys : [])),
);

/** Masks PHI in FHIR: the elements above at any depth, and each resource's own `id` (a control id; `fullUrl` holds it too). */
export function maskFhir(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskFhir);
  if (value && typeof value === 'object') {
    const resource = 'resourceType' in value;
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [
        k,
        FHIR_MASKED.has(k) || k === 'fullUrl' || (resource && k === 'id') ? MASK : maskFhir(v),
      ]),
    );
  }
  return value;
}

/** A message summary as shown without the PHI permission: the MRN and the control id masked. */
export function maskSummary(summary: MessageSummary): MessageSummary {
  return { ...summary, mrn: summary.mrn ? MASK : '', controlId: summary.controlId ? MASK : '' };
}

/** Masks the fields a canonical model classes as PHI (isPhi: identifiers and clinical content; see transforms/canonical/data-class.ts). */
export function maskCanonical(events: readonly CanonicalEvent[]): CanonicalEvent[] {
  return events.map((e) => {
    const schema = canonicalSchema(e.model, e.modelVersion);
    return { ...e, event: (schema ? maskBySchema(schema, e.event) : MASK) as Record<string, unknown> };
  });
}

function maskBySchema(schema: TSchema, value: unknown, inherited?: DataClass): unknown {
  const own = (schema as { dataClass?: DataClass }).dataClass ?? inherited;
  if (schema.type === 'object' && schema.properties && value && typeof value === 'object' && !Array.isArray(value)) {
    const properties = schema.properties as Record<string, TSchema>;
    // A field the schema does not know is masked: fail closed, as the data policy does.
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, properties[k] ? maskBySchema(properties[k], v, own) : MASK]),
    );
  }
  if (schema.type === 'array' && schema.items && Array.isArray(value))
    return value.map((v) => maskBySchema(schema.items as TSchema, v, own));
  return own === undefined || isPhi(own) ? MASK : value;
}
