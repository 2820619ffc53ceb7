import { Type, type Static } from '@sinclair/typebox';
import { ConditionSchema } from '../../transforms/dsl/condition-schema.ts';
import { DataClass } from '../../transforms/canonical/data-class.ts';
import type { Condition } from '../../transforms/dsl/predicate.ts';
import { StepKind } from './flow-states.ts';

const Id = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$', description: 'lower-case letters, digits and dashes' });

const Scalar = Type.Union([Type.String(), Type.Number(), Type.Boolean()]);

/**
 * A value of a step's request: a literal (a string, number or boolean, or a list of them: a SCIM
 * body's `schemas`), or a reference to the triggering event (`event.<path>`) or to an output field of
 * an earlier step (`steps.<stepId>.<field>`), which the step must depend on.
 */
export const FlowValue = Type.Union([
  Type.Object({ ref: Type.String({ pattern: '^(event|steps\\.[a-z0-9][a-z0-9-]*)\\.[A-Za-z0-9_.]+$' }) }, { additionalProperties: false }),
  Type.Object({ value: Type.Union([Scalar, Type.Array(Scalar, { maxItems: 50 })]) }, { additionalProperties: false }),
]);

const Retry = Type.Object(
  {
    attempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    initialDelayMs: Type.Optional(Type.Integer({ minimum: 1 })),
    maxDelayMs: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);

/** One step: what it does, what it needs first, what it sends and what it gives later steps. */
export const FlowStep = Type.Object(
  {
    id: Id,
    kind: Type.Union(Object.values(StepKind).map((k) => Type.Literal(k))),
    description: Type.Optional(Type.String({ maxLength: 300 })),
    dependsOn: Type.Array(Id, { default: [] }),
    /** `call` and `lookup`: the connector kind (a destination) and its settings, checked against its schema. */
    connector: Type.Optional(Type.Object({ kind: Type.String({ minLength: 1 }), config: Type.Record(Type.String(), Type.Unknown()) })),
    /**
     * The request: field ← value (a literal or a reference); a dotted field is nested (`name.formatted`).
     * For `map`, the output itself.
     */
    request: Type.Record(Type.String({ pattern: '^[A-Za-z0-9_.]+$' }), FlowValue),
    /** The fields of its output later steps may read (`steps.<id>.<field>`). */
    outputs: Type.Array(Type.String({ pattern: '^[A-Za-z0-9_.]+$' }), { default: [] }),
    /**
     * Runs only when the value at `ref` is one of `oneOf`, or a number below `below` (e.g. the stock an
     * earlier step returned, below the reorder level it returned); otherwise the step is done with no output.
     */
    when: Type.Optional(
      Type.Object(
        { ref: Type.String(), oneOf: Type.Optional(Type.Array(Type.String())), below: Type.Optional(FlowValue) },
        { additionalProperties: false },
      ),
    ),
    retry: Type.Optional(Retry),
    dataPolicy: Type.Optional(
      Type.Object(
        {
          allow: Type.Array(Type.Union(Object.values(DataClass).map((c) => Type.Literal(c)))),
          pseudonymise: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
    ),
    /** Undoes the step after an operator aborts the flow (in reverse order): a call with its own request. */
    compensation: Type.Optional(
      Type.Object(
        {
          connector: Type.Object({ kind: Type.String({ minLength: 1 }), config: Type.Record(Type.String(), Type.Unknown()) }),
          request: Type.Record(Type.String({ pattern: '^[A-Za-z0-9_.]+$' }), FlowValue),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

/**
 * A flow as data (issue 24): what the TypeScript `defineFlow` declares and the console shows and
 * versions. The trigger: canonical events of `model` made by `channelId`, optionally only those
 * whose source message meets `filter`. The steps form a DAG by `dependsOn` (checked by validateFlow).
 */
export const FlowSchema = Type.Object(
  {
    id: Id,
    description: Type.String({ maxLength: 500 }),
    trigger: Type.Object(
      { channelId: Id, model: Type.String({ minLength: 1 }), filter: Type.Optional(ConditionSchema) },
      { additionalProperties: false },
    ),
    steps: Type.Array(FlowStep, { minItems: 1, maxItems: 50 }),
    /**
     * Fields of the triggering event support finds an instance by (a visit number, an item code): kept
     * as search keys, hashed with SEARCH_HASH_KEY when it is set.
     */
    keys: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Za-z0-9_.]+$' }), { maxItems: 10 })),
  },
  { additionalProperties: false, $id: 'Flow' },
);

export type FlowValue = Static<typeof FlowValue>;
export type FlowStepDefinition = Static<typeof FlowStep>;
export type FlowDefinition = Omit<Static<typeof FlowSchema>, 'trigger'> & {
  trigger: { channelId: string; model: string; filter?: Condition };
};

/** Declares a flow in TypeScript (flows/*.flow.ts), keeping its literal type for readers; validated at load (validateFlow). */
export function defineFlow<F extends FlowDefinition>(def: F): F {
  return def;
}
