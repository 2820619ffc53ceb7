import { Type, type TSchema } from '@sinclair/typebox';

/** The JSON shape of a Condition (predicate.ts): a channel's filter, a mapping's forEach.where. */
export const ConditionSchema: TSchema = Type.Recursive((This) =>
  Type.Union([
    Type.Object(
      {
        hl7: Type.String({ minLength: 3 }),
        oneOf: Type.Optional(Type.Array(Type.String())),
        matches: Type.Optional(Type.String()),
        inTable: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$', description: 'a key of this lookup table' })),
        present: Type.Optional(Type.Boolean()),
      },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        fhir: Type.String({ minLength: 1 }),
        oneOf: Type.Optional(Type.Array(Type.String())),
        matches: Type.Optional(Type.String()),
        inTable: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$', description: 'a key of this lookup table' })),
        present: Type.Optional(Type.Boolean()),
      },
      { additionalProperties: false },
    ),
    Type.Object({ all: Type.Array(This, { minItems: 1 }) }, { additionalProperties: false }),
    Type.Object({ any: Type.Array(This, { minItems: 1 }) }, { additionalProperties: false }),
    Type.Object({ not: This }, { additionalProperties: false }),
  ]),
);
