import type { TSchema } from '@sinclair/typebox';
import { canonicalSchema } from '../../transforms/canonical/index.ts';
import { identifiesAPerson, type DataClass } from '../../transforms/canonical/data-class.ts';
import type { CanonicalEvent, MessageSummary } from '../store/message-record.ts';

/**
 * Masking for users without the PHI permission: what they see of a message keeps its shape (so a
 * support analyst can still tell which field is empty or malformed) with patient identifiers
 * replaced by `***`. Applied to views and search results by the admin API, never to stored data.
 * What is masked is what the canonical models class as identifiers (`direct-identifier` and
 * `indirect-identifier`, see transforms/canonical/data-class.ts), in every view: the same visit
 * number is masked in the raw message (PV1-19), the canonical event (`encounter.visitNumber`) and
 * wherever else it shows, and so are practitioner ids and the message's control id.
 */
export const MASK = '***';

/**
 * HL7v2 fields that identify a patient or a relative (HIPAA's 18 identifiers: names, dates tied to
 * a person, addresses, telephone numbers, record, account and insurance numbers, SSN), and the
 * indirect identifiers the canonical models carry: the visit number (PV1-19), practitioners (PV1-7
 * attending, -8 referring, -9 consulting, -17 admitting; FT1-20 performed by, -21 ordered by; EVN-5
 * the operator, by id and name) and the message control id (MSH-10, echoed in an ACK's MSA-2). Per
 * segment, by field number.
 */
const HL7_PHI_FIELDS: Record<string, readonly number[]> = {
  MSH: [10],
  MSA: [2],
  EVN: [5],
  PID: [2, 3, 4, 5, 6, 7, 9, 11, 12, 13, 14, 18, 19, 20, 21, 23, 26, 29],
  PD1: [3, 4],
  NK1: [2, 4, 5, 6, 16, 30, 31, 32, 33, 37],
  GT1: [2, 3, 5, 6, 7, 8, 12, 19],
  IN1: [16, 18, 19, 36, 49],
  IN2: [2, 6, 8],
  PV1: [7, 8, 9, 17, 19, 50],
  FT1: [20, 21],
  MRG: [1, 2, 3, 4, 5, 6, 7],
};

/** Masks patient fields of an HL7v2 message (or ACK) given as text (segments split by CR or LF). */
export function maskHl7(text: string): string {
  const fieldSep = text.startsWith('MSH') ? text[3] ?? '|' : '|';
  return text
    .split(/(\r\n|\r|\n)/)
    .map((line) => {
      const segment = line.slice(0, 3);
      const fields = HL7_PHI_FIELDS[segment];
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
 * FHIR elements that carry identity (on Patient, RelatedPerson, Practitioner and in references):
 * a `reference` names a patient, encounter or practitioner by id (`Patient/pat-100234`).
 */
const FHIR_PHI_KEYS = new Set(['name', 'identifier', 'telecom', 'address', 'birthDate', 'photo', 'contact', 'display', 'text', 'deceasedDateTime', 'multipleBirthInteger', 'reference']);

/** Masks identity in FHIR: the elements above at any depth, and each resource's own `id` (a control id; `fullUrl` holds it too). */
export function maskFhir(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskFhir);
  if (value && typeof value === 'object') {
    const resource = 'resourceType' in value;
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, FHIR_PHI_KEYS.has(k) || k === 'fullUrl' || (resource && k === 'id') ? MASK : maskFhir(v)]));
  }
  return value;
}

/** A message summary as shown without the PHI permission: the MRN and the control id masked. */
export function maskSummary(summary: MessageSummary): MessageSummary {
  return { ...summary, mrn: summary.mrn ? MASK : '', controlId: summary.controlId ? MASK : '' };
}

/** Masks the fields a canonical model classes as identifiers, direct or indirect (see transforms/canonical/data-class.ts). */
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
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, properties[k] ? maskBySchema(properties[k], v, own) : MASK]));
  }
  if (schema.type === 'array' && schema.items && Array.isArray(value)) return value.map((v) => maskBySchema(schema.items as TSchema, v, own));
  return own === undefined || identifiesAPerson(own) ? MASK : value;
}
