import { Type } from '@sinclair/typebox';
import fhirpath from 'fhirpath';
import r4 from 'fhirpath/fhir-context/r4/index.js';
import type { SearchField } from '../channel.ts';
import { parsePath, type Hl7Path } from '../../hl7v2/path.ts';
import type { Hl7Message } from '../../hl7v2/index.ts';

/** Most search fields one channel declares: each is one more key per message in the `searchKeys` index. */
export const MAX_SEARCH_FIELDS = 10;

/** A search field's name: lower-case letters, digits and dashes (it is part of the stored key `field|<name>|…`). */
export const SEARCH_FIELD_NAME = '^[a-z][a-z0-9-]{0,39}$';

/** `ChannelDefinition.searchFields` as data (channel-schema.ts); what it means is checked by searchFieldProblems. */
export const SearchFieldsSchema = Type.Optional(
  Type.Array(
    Type.Object(
      {
        name: Type.String({ pattern: SEARCH_FIELD_NAME }),
        hl7: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'an HL7v2 path, e.g. PID-18.1 or ORC-2' })),
        fhirpath: Type.Optional(
          Type.String({ minLength: 1, maxLength: 500, description: 'a FHIRPath expression (R4), e.g. ChargeItem.code.coding.code' }),
        ),
      },
      { additionalProperties: false },
    ),
    {
      maxItems: MAX_SEARCH_FIELDS,
      description: 'values copied out of each message at intake for support searches (GET /api/messages?field=…&value=…)',
    },
  ),
);

/**
 * Reads a declared field's values out of one message: an HL7v2 message for an `hl7` field, a FHIR
 * resource for a `fhirpath` one; the other kind of input gives nothing. May throw (a FHIRPath
 * function meeting a value it cannot take): the caller treats that as no value.
 */
export type FieldReader =
  { kind: 'hl7'; read(message: Hl7Message): string[] } | { kind: 'fhir'; read(resource: Record<string, unknown>): unknown[] };

/**
 * Compiles a declared field; throws an Error naming what is wrong with its path or expression.
 * HL7v2: the path in the corpus notation (hl7v2/path.ts). Without an occurrence (`FT1-7.1`) every
 * occurrence of the segment is read, without a repetition every repetition; without a component the
 * first is read (`ORC-2` is `ORC-2.1`, the order number without its assigning authority; a
 * primitive field is its own first component), and likewise the first subcomponent.
 * FHIRPath: every value the expression gives (R4 model).
 */
export function compileSearchField(field: SearchField): FieldReader {
  if ((field.hl7 === undefined) === (field.fhirpath === undefined)) throw new Error('give exactly one of hl7 and fhirpath');
  if (field.hl7 !== undefined) {
    const path = field.hl7;
    const p: Hl7Path = parsePath(path);
    const explicitOccurrence = path.includes('(');
    const at = { field: p.field, component: p.component ?? 1, subcomponent: p.subcomponent ?? 1 };
    return {
      kind: 'hl7',
      read: (message) => {
        const segments = message.segments(p.segment);
        const chosen = explicitOccurrence ? segments.slice(p.occurrence - 1, p.occurrence) : segments;
        return chosen.flatMap((s) => {
          const count = p.repetition ?? s.repetitions(p.field).length;
          const reps = p.repetition !== undefined ? [p.repetition] : Array.from({ length: count }, (_, i) => i + 1);
          return reps.map((repetition) => s.get({ ...at, repetition }));
        });
      },
    };
  }
  const compiled = fhirpath.compile(field.fhirpath!, r4);
  return { kind: 'fhir', read: (resource) => compiled(resource) as unknown[] };
}

/** Problems of a channel's declared search fields (JSON pointers under `/searchFields`), each naming the field. */
export function searchFieldProblems(fields: readonly SearchField[] | undefined): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  const seen = new Set<string>();
  (fields ?? []).forEach((field, i) => {
    const at = `/searchFields/${i}`;
    if (seen.has(field.name)) problems.push({ path: `${at}/name`, message: `search field ${field.name} is declared twice` });
    seen.add(field.name);
    try {
      compileSearchField(field);
    } catch (err) {
      const only = (given: string | undefined, other: string | undefined) => given !== undefined && other === undefined;
      const where = only(field.hl7, field.fhirpath) ? '/hl7' : only(field.fhirpath, field.hl7) ? '/fhirpath' : '';
      problems.push({ path: `${at}${where}`, message: `search field ${field.name}: ${(err as Error).message}` });
    }
  });
  return problems;
}
