import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { EvalContext, Expression, TransformInput } from './expression.ts';
import { FieldValueError, TransformError } from './transform-errors.ts';
import { compileCondition, type Condition, type Predicate } from './predicate.ts';
import { MissingLookupError, type LookupTables } from '../lookups/lookup-table.ts';

/** See TransformDefinition.forEach. */
export interface ForEach {
  segment: string;
  where?: Condition;
  along?: readonly string[];
}

/** A field that must have a value: its absence is a field error naming the target and the source. */
export interface RequiredField {
  required: true;
  from: Expression;
}
export const required = (from: Expression): RequiredField => ({ required: true, from });

export interface TransformDefinition {
  id: string;
  /** Bumped on every change of output; stored beside each canonical event. */
  version: number;
  description: string;
  /** The canonical model's schema (its `title` names the model, its `version` the model version). */
  model: TSchema;
  /** HL7v2 `MSH-9.1^MSH-9.2` types or FHIR resource types it maps. */
  accepts: { hl7: readonly string[] } | { fhir: readonly string[] };
  /**
   * One event per occurrence of this HL7v2 segment (e.g. each FT1), optionally only those meeting
   * `where`. `along`: segments that repeat in step with it (a site's ZCH after each FT1): inside the
   * n-th event, their paths read their n-th occurrence too.
   */
  forEach?: ForEach;
  /** The lookup tables `forEach.where` may name (`inTable`), at the versions the transform runs with. */
  lookupTables?: LookupTables;
  /** Target field (dotted path in the model) ← source expression. */
  fields: Readonly<Record<string, Expression | RequiredField>>;
}

/** One problem found while mapping, named for an analyst. `value` may hold patient data: never log it or send it to a peer. */
export interface FieldError {
  event: number;
  target: string;
  source: string;
  value?: string;
  reason: string;
  /** The lookup table that has no row for `value` (a missing code: the most common feed defect). */
  table?: string;
}

/** Where the input came from, set by the engine on every event (`source` in each model). */
export interface SourceEnvelope {
  channelId: string;
  messageType: string;
  controlId: string;
  sendingApplication: string;
  sendingFacility: string;
}

export interface TransformRow {
  target: string;
  source: string;
  required: boolean;
}

export interface Transform {
  readonly id: string;
  readonly version: number;
  readonly description: string;
  readonly model: string;
  readonly modelVersion: number;
  readonly schema: TSchema;
  readonly input: 'hl7' | 'fhir';
  readonly accepts: readonly string[];
  /** The transform as a table of target field ← source expression, for the console. */
  readonly rows: readonly TransformRow[];
  /** Each target field's source expression, by target, in the order of `rows`. */
  readonly expressions: Readonly<Record<string, Expression>>;
  readonly forEach?: string;
  /** The lookup tables it reads, each at the version it was compiled with (data mappings; engine/mappings). */
  readonly tables?: Readonly<Record<string, number>>;
  /** `forEach` as declared (its condition as data), for the export to the data form (mapping-export.ts). */
  readonly forEachSpec?: ForEach;
  /** Maps and validates; returns every field error instead of throwing (the test bench uses it). */
  tryRun(input: TransformInput, source: SourceEnvelope): { events: Record<string, unknown>[]; errors: FieldError[] };
  /** Maps and validates; throws a TransformError (TRANSFORM_FAILED or CANONICAL_INVALID) naming the first bad field. */
  run(input: TransformInput, source: SourceEnvelope): Record<string, unknown>[];
}

/**
 * Declares a transform: field maps from HL7v2 paths or FHIRPath expressions through pure helpers,
 * validated against the canonical model. No I/O and no clock: the same input gives the same events.
 */
export function defineTransform(def: TransformDefinition): Transform {
  const check = TypeCompiler.Compile(def.model);
  const where: Predicate | undefined = def.forEach?.where ? compileCondition(def.forEach.where, def.lookupTables) : undefined;
  const entries = Object.entries(def.fields).map(([target, f]) => ({
    target,
    required: 'required' in f,
    from: 'required' in f ? f.from : f,
  }));
  const model = String(def.model.title);
  const modelVersion = Number((def.model as { version?: number }).version ?? 1);

  const tryRun = (input: TransformInput, source: SourceEnvelope) => {
    const events: Record<string, unknown>[] = [];
    const errors: FieldError[] = [];
    for (const [i, ctx] of contexts(def, where, input).entries()) {
      const event = mapFields(entries, ctx, i + 1, errors);
      event.source = { ...source };
      if (errors.length === 0 && !check.Check(event)) errors.push(...modelErrors(check, event, i + 1));
      events.push(event);
    }
    return { events: errors.length > 0 ? [] : events, errors };
  };

  return {
    id: def.id,
    version: def.version,
    description: def.description,
    model,
    modelVersion,
    schema: def.model,
    input: 'hl7' in def.accepts ? 'hl7' : 'fhir',
    accepts: 'hl7' in def.accepts ? def.accepts.hl7 : def.accepts.fhir,
    rows: entries.map((e) => ({ target: e.target, source: e.from.describe, required: e.required })),
    expressions: Object.fromEntries(entries.map((e) => [e.target, e.from])),
    ...(def.forEach ? { forEach: `${def.forEach.segment}${where ? ` where ${where.describe}` : ''}`, forEachSpec: def.forEach } : {}),
    tryRun,
    run(input, source) {
      const { events, errors } = tryRun(input, source);
      const e = errors[0];
      if (!e) return events;
      const code = e.source === '(model)' ? 'CANONICAL_INVALID' : 'TRANSFORM_FAILED';
      throw new TransformError(code, `${model} event ${e.event}: field ${e.target} from ${e.source}: ${e.reason}`);
    },
  };
}

type FieldEntry = { target: string; required: boolean; from: Expression };

/** One evaluation context per event: the whole input, or each occurrence of `forEach`'s segment meeting `where`. */
function contexts(def: TransformDefinition, where: Predicate | undefined, input: TransformInput): EvalContext[] {
  if (!def.forEach) return [{ input }];
  if (input.kind !== 'hl7') return [{ input }];
  const { segment, along = [] } = def.forEach;
  const count = input.message.segments(segment).length;
  const all = Array.from({ length: count }, (_, i) => ({
    input,
    occurrences: Object.fromEntries([segment, ...along].map((s) => [s, i + 1])),
  }));
  return where ? all.filter((ctx) => where.test(ctx)) : all;
}

/**
 * Evaluates every field of event number `event` into a new event; a value a helper refuses, or a required field
 * left empty, is pushed onto `errors` and the field is left out.
 */
function mapFields(entries: readonly FieldEntry[], ctx: EvalContext, event: number, errors: FieldError[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { target, required, from } of entries) {
    let value: unknown;
    try {
      value = from.evaluate(ctx);
    } catch (err) {
      if (!(err instanceof FieldValueError)) throw err;
      errors.push({
        event,
        target,
        source: from.describe,
        value: err.value,
        reason: `${from.sources.join(', ') || 'value'} ${err.reason}`,
        ...(err instanceof MissingLookupError ? { table: err.table } : {}),
      });
      continue;
    }
    if (value === undefined) {
      if (required) errors.push({ event, target, source: from.describe, reason: `${from.sources.join(' or ')} is empty` });
      continue;
    }
    setPath(out, target, value);
  }
  return out;
}

/** The canonical model's complaints about event number `event`, as field errors whose source is `(model)`. */
function modelErrors(check: TypeCheck<TSchema>, value: Record<string, unknown>, event: number): FieldError[] {
  return [...check.Errors(value)].map((e) => ({
    event,
    target: e.path.slice(1).replaceAll('/', '.') || '(event)',
    source: '(model)',
    value: JSON.stringify(e.value)?.slice(0, 100),
    reason: e.message,
  }));
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
  node[parts.at(-1)!] = value;
}
