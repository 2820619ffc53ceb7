import type { TSchema } from '@sinclair/typebox';
import { canonicalSchema } from '../../transforms/canonical/index.ts';
import type { DataClass } from '../../transforms/canonical/data-class.ts';
import type { CanonicalEvent } from '../store/message-record.ts';

/**
 * Masking for users without the PHI permission: what they see of a message keeps its shape (so a
 * support analyst can still tell which field is empty or malformed) with patient identifiers
 * replaced by `***`. Applied to views and search results by the admin API, never to stored data.
 */
export const MASK = '***';

/**
 * HL7v2 fields that identify a patient or a relative (HIPAA's 18 identifiers: names, dates tied to
 * a person, addresses, telephone numbers, record, account and insurance numbers, SSN), per segment,
 * by field number (MSH numbering is not used: MSH carries none of these).
 */
const HL7_PHI_FIELDS: Record<string, readonly number[]> = {
  PID: [2, 3, 4, 5, 6, 7, 9, 11, 12, 13, 14, 18, 19, 20, 21, 23, 26, 29],
  PD1: [3, 4],
  NK1: [2, 4, 5, 6, 16, 30, 31, 32, 33, 37],
  GT1: [2, 3, 5, 6, 7, 8, 12, 19],
  IN1: [16, 18, 19, 36, 49],
  IN2: [2, 6, 8],
  PV1: [19, 50],
  MRG: [1, 2, 3, 4, 5, 6, 7],
};

/** Masks patient fields of an HL7v2 message given as text (segments split by CR or LF). */
export function maskHl7(text: string): string {
  const fieldSep = text.startsWith('MSH') ? text[3] ?? '|' : '|';
  return text
    .split(/(\r\n|\r|\n)/)
    .map((line) => {
      const fields = HL7_PHI_FIELDS[line.slice(0, 3)];
      if (!fields || fields.length === 0) return line;
      const parts = line.split(fieldSep);
      for (const n of fields) if (parts[n]) parts[n] = MASK;
      return parts.join(fieldSep);
    })
    .join('');
}

/** FHIR elements that carry identity (on Patient, RelatedPerson, Practitioner and in references). */
const FHIR_PHI_KEYS = new Set(['name', 'identifier', 'telecom', 'address', 'birthDate', 'photo', 'contact', 'display', 'text', 'deceasedDateTime', 'multipleBirthInteger']);

export function maskFhir(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskFhir);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, FHIR_PHI_KEYS.has(k) ? MASK : maskFhir(v)]));
  }
  return value;
}

/** Masks the fields a canonical model classes `direct-identifier` (see transforms/canonical/data-class.ts). */
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
  return own === 'direct-identifier' || own === undefined ? MASK : value;
}
