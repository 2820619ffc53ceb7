import type { ChannelDefinition, SearchField } from '../channel.ts';
import { compileSearchField, type FieldReader } from '../channels/search-fields.ts';
import type { MessageRecord } from '../store/message-record.ts';
import type { TransformInput } from '../../transforms/dsl/expression.ts';

/** Values kept per field and message at most: a DFT of 300 charge lines keeps its first 20 item codes. */
export const MAX_VALUES_PER_FIELD = 20;
/** Longer values are not kept (a search field holds identifiers and codes, not text). */
export const MAX_VALUE_LENGTH = 200;

/** The values of a channel's search fields read out of one message: field name → values (see MessageRecord.searchFieldValues). */
export type SearchFieldValues = NonNullable<MessageRecord['searchFieldValues']>;

type Compiled = { name: string; reader: FieldReader | undefined }[];

/** Compiled once per channel version (its `searchFields` array is replaced, never changed, on deploy). */
const compiledByFields = new WeakMap<readonly SearchField[], Compiled>();

function compiled(fields: readonly SearchField[]): Compiled {
  let hit = compiledByFields.get(fields);
  if (!hit) {
    hit = fields.map((f) => {
      try {
        return { name: f.name, reader: compileSearchField(f) };
      } catch {
        // Validation at save and deploy refuses such a field (searchFieldProblems); here it reads nothing.
        return { name: f.name, reader: undefined };
      }
    });
    compiledByFields.set(fields, hit);
  }
  return hit;
}

/** Primitive values as text, trimmed; empty, HL7 null (`""`), over-long and repeated ones left out; at most MAX_VALUES_PER_FIELD. */
function normalise(values: readonly unknown[]): string[] {
  const out = new Set<string>();
  for (const v of values) {
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') continue;
    const text = String(v).trim();
    if (text === '' || text === '""' || text.length > MAX_VALUE_LENGTH) continue;
    out.add(text);
    if (out.size >= MAX_VALUES_PER_FIELD) break;
  }
  return [...out];
}

/**
 * The values of the channel's declared search fields in one message, as intake reads them before the
 * one durable insert (HL7v2 intake, FHIR intake and corrections): `hl7` fields read HL7v2 messages,
 * `fhirpath` fields FHIR resources. Undefined when the channel declares none or none has a value.
 * Never throws: a field whose expression fails on this message has no value in it. The values are
 * identifiers (PHI): the store keeps them only as `searchKeys` entries, hashed with SEARCH_HASH_KEY
 * (search-keys.ts), never in logs.
 */
export function searchFieldValues(channel: ChannelDefinition, input: TransformInput): SearchFieldValues | undefined {
  if (!channel.searchFields?.length) return undefined;
  const found: Record<string, string[]> = {};
  for (const { name, reader } of compiled(channel.searchFields)) {
    let raw: readonly unknown[] = [];
    try {
      if (reader?.kind === 'hl7' && input.kind === 'hl7') raw = reader.read(input.message);
      else if (reader?.kind === 'fhir' && input.kind === 'fhir') raw = reader.read(input.resource);
    } catch {
      raw = [];
    }
    const values = normalise(raw);
    if (values.length > 0) found[name] = values;
  }
  return Object.keys(found).length > 0 ? found : undefined;
}
