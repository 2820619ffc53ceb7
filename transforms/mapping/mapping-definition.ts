import { Type, type Static } from '@sinclair/typebox';
import { ConditionSchema } from '../dsl/condition-schema.ts';
import type { ForEach } from '../dsl/define-transform.ts';

const Id = Type.String({ pattern: '^[a-z0-9][a-z0-9.-]{0,62}$', description: 'lower-case letters, digits, dots and dashes' });

/** One target field of the model ← an expression in the mapping language (transforms/mapping/expression-grammar.ts). */
export const MappingField = Type.Object(
  {
    expr: Type.String({ minLength: 1, maxLength: 4000, examples: ["lookup('cpt-to-gl', ZCH-1)"] }),
    /**
     * An absent value is an error naming the field and its source (the message is errored). Default:
     * required when the model requires the field.
     */
    required: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/** A sample input and the canonical events the mapping must make of it: run on every change, and before a deploy. */
export const MappingFixture = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9 ._-]{0,79}$' }),
    /** The raw HL7v2 message (segments separated by CR or LF), or the FHIR resource as JSON text. */
    input: Type.String({ minLength: 1, maxLength: 1_000_000 }),
    /** The events expected, without `source` (set by the engine). */
    expected: Type.Array(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
);

/**
 * A mapping as data: what `defineTransform` declares in TypeScript, stored as versioned data that
 * an analyst edits in the console (issue 23). Compiled by compileMapping into the same Transform
 * the TypeScript DSL makes, so both run through one engine path. The version is the store's.
 */
export const MappingDefinition = Type.Object(
  {
    id: Id,
    description: Type.String({ maxLength: 500 }),
    /** A canonical model name (EncounterEvent, ChargeEvent, SupplyConsumptionEvent, WorkforceEvent) and its version. */
    model: Type.String(),
    modelVersion: Type.Integer({ minimum: 1, default: 1 }),
    input: Type.Union([Type.Literal('hl7'), Type.Literal('fhir')]),
    /** HL7v2 `MSH-9.1^MSH-9.2` types (`DFT^P03`) or FHIR resource types (`ChargeItem`). */
    accepts: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
    /** One event per occurrence of this HL7v2 segment (e.g. each FT1), optionally only those meeting `where`. */
    forEach: Type.Optional(
      Type.Object(
        {
          segment: Type.String({ pattern: '^[A-Z][A-Z0-9]{2}$' }),
          where: Type.Optional(ConditionSchema),
          /** Segments repeating in step with `segment` (a site's ZCH after each FT1): the n-th event reads their n-th occurrence. */
          along: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Z][A-Z0-9]{2}$' }), { maxItems: 10 })),
        },
        { additionalProperties: false },
      ),
    ),
    /** Target field (dotted path in the model) ← expression. */
    fields: Type.Record(Type.String(), MappingField),
    fixtures: Type.Array(MappingFixture, { default: [] }),
  },
  { additionalProperties: false, $id: 'MappingDefinition' },
);
export type MappingDefinition = Omit<Static<typeof MappingDefinition>, 'forEach'> & { forEach?: ForEach };
export type MappingField = Static<typeof MappingField>;
export type MappingFixture = Static<typeof MappingFixture>;
