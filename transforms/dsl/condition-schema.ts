import { Type, type TSchema } from '@sinclair/typebox';

/** The JSON shape of a Condition (predicate.ts): a channel's filter, a mapping's forEach.where. */
export const ConditionSchema: TSchema = Type.Recursive((This) =>
  Type.Union([
    Type.Object(
      {
        hl7: Type.String({ minLength: 3 }),
        oneOf: Type.Optional(Type.Array(Type.String())),
        matches: Type.Optional(Type.String()),
        present: Type.Optional(Type.Boolean()),
      },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        fhir: Type.String({ minLength: 1 }),
        oneOf: Type.Optional(Type.Array(Type.String())),
        matches: Type.Optional(Type.String()),
        present: Type.Optional(Type.Boolean()),
      },
      { additionalProperties: false },
    ),
    Type.Object({ all: Type.Array(This, { minItems: 1 }) }, { additionalProperties: false }),
    Type.Object({ any: Type.Array(This, { minItems: 1 }) }, { additionalProperties: false }),
    Type.Object({ not: This }, { additionalProperties: false }),
  ]),
);
