import { Kind, OptionalKind, type TSchema } from '@sinclair/typebox';
import type { DataClass } from '../canonical/data-class.ts';

/** The type of a value: every mapping expression has one (checked when compiled), and every target field takes one. */
export const ValueType = { string: 'string', number: 'number', boolean: 'boolean' } as const;
export type ValueType = (typeof ValueType)[keyof typeof ValueType];

/** One field a mapping can fill: what the mapping editor lists beside the expressions. */
export interface ModelField {
  /** Dotted path in the model, e.g. `encounter.visitNumber`. */
  path: string;
  type: ValueType;
  /** The values allowed, for a field that is one of a set (e.g. EncounterEvent.eventType). */
  oneOf?: readonly string[];
  dataClass: DataClass | undefined;
  /** The model requires it (it and every object around it are required): a mapping must map it. */
  required: boolean;
  description?: string;
}

/**
 * The fields of a canonical model a mapping fills, in the schema's order: every leaf but those of
 * `source` (the engine sets it on every event). Pure; reads the TypeBox schema only.
 */
export function modelFields(schema: TSchema): ModelField[] {
  return walk(schema, '', true, undefined).filter((f) => f.path !== 'source' && !f.path.startsWith('source.'));
}

function walk(schema: TSchema, path: string, required: boolean, inherited: DataClass | undefined): ModelField[] {
  const dataClass = (schema as { dataClass?: DataClass }).dataClass ?? inherited;
  if (schema.type === 'object' && schema.properties) {
    const needed = new Set<string>((schema.required as string[] | undefined) ?? []);
    return Object.entries(schema.properties as Record<string, TSchema>).flatMap(([key, child]) =>
      walk(child, path ? `${path}.${key}` : key, required && needed.has(key) && child[OptionalKind] !== 'Optional', dataClass),
    );
  }
  const field: ModelField = { path, type: leafType(schema), dataClass, required };
  const oneOf = literals(schema);
  if (oneOf) field.oneOf = oneOf;
  if (typeof schema.description === 'string') field.description = schema.description;
  return [field];
}

function leafType(schema: TSchema): ValueType {
  if (schema.type === 'number' || schema.type === 'integer') return ValueType.number;
  if (schema.type === 'boolean') return ValueType.boolean;
  return ValueType.string;
}

/** The literal values of a union of string literals (TypeBox `Type.Union([Type.Literal(...)])`). */
function literals(schema: TSchema): string[] | undefined {
  if (schema[Kind] !== 'Union') return undefined;
  const values = (schema.anyOf as TSchema[]).map((s) => s.const);
  return values.every((v) => typeof v === 'string') ? (values as string[]) : undefined;
}
