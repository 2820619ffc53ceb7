import fhirpath from 'fhirpath';
import r4 from 'fhirpath/fhir-context/r4/index.js';
import type { Hl7Message } from '../../hl7v2/index.ts';
import { parsePath } from '../../hl7v2/path.ts';
import { FieldValueError } from './transform-errors.ts';

/** What a transform reads: one parsed HL7v2 message, or one FHIR R4 resource. */
export type TransformInput = { kind: 'hl7'; message: Hl7Message } | { kind: 'fhir'; resource: Record<string, unknown> };

export interface EvalContext {
  input: TransformInput;
  /** Inside `forEach`: which occurrence of the repeated segment this event is made from. */
  occurrences?: Readonly<Record<string, number>>;
}

/**
 * A source expression: pure, and able to describe itself for the console's table of
 * `target field ← source expression`. `evaluate` returns undefined for an absent value and throws
 * FieldValueError when a value is present but unusable.
 */
export interface Expression<T = unknown> {
  readonly describe: string;
  /** The input paths it reads, for error messages. */
  readonly sources: readonly string[];
  evaluate(ctx: EvalContext): T | undefined;
}

const expr = <T>(describe: string, sources: readonly string[], evaluate: (ctx: EvalContext) => T | undefined): Expression<T> => ({
  describe,
  sources,
  evaluate,
});

/**
 * An HL7v2 value at a corpus path (`PV1-19.1`, `FT1-7.1`). Inside `forEach` over a segment, a path
 * on that segment without an explicit occurrence reads the current one. Empty and `""` are absent.
 */
export function hl7(path: string): Expression<string> {
  const p = parsePath(path);
  const explicit = path.includes('(');
  return expr(path, [path], (ctx) => {
    if (ctx.input.kind !== 'hl7') throw new FieldValueError(`${path} reads HL7v2, but the input is FHIR`, '');
    const occurrence = !explicit ? ctx.occurrences?.[p.segment] : undefined;
    const value = ctx.input.message.get(occurrence ? path.replace(p.segment, `${p.segment}(${occurrence})`) : path);
    return value === '' || value === '""' ? undefined : value;
  });
}

/** A FHIRPath expression (R4 model) on the resource; its first result as a string, absent when empty. */
export function fhir(expression: string): Expression<string> {
  const compiled = fhirpath.compile(expression, r4);
  return expr(expression, [expression], (ctx) => {
    if (ctx.input.kind !== 'fhir') throw new FieldValueError(`${expression} reads FHIR, but the input is HL7v2`, '');
    const [first] = compiled(ctx.input.resource) as unknown[];
    return first === undefined || first === null || first === '' ? undefined : String(first);
  });
}

export const constant = <T>(value: T): Expression<T> => expr(JSON.stringify(value), [], () => value);

/** The first of the expressions that gives a value. */
export function first<T>(...options: Expression<T>[]): Expression<T> {
  return expr(
    options.map((o) => o.describe).join(' ?? '),
    options.flatMap((o) => o.sources),
    (ctx) => {
      for (const o of options) {
        const v = o.evaluate(ctx);
        if (v !== undefined) return v;
      }
      return undefined;
    },
  );
}

/** Applies a pure function to a present value; `name` shows in the console (`name(source)`). */
export function map<A, B>(name: string, source: Expression<A>, fn: (value: A) => B): Expression<B> {
  return expr(`${name}(${source.describe})`, source.sources, (ctx) => {
    const v = source.evaluate(ctx);
    return v === undefined ? undefined : fn(v);
  });
}

/**
 * HL7 DTM (`YYYY[MM[DD[HH[MM[SS[.S]]]]]][±ZZZZ]`) or FHIR date/dateTime to ISO 8601, keeping the
 * precision and offset given (a time without offset stays local: the sender's).
 */
export const dateTime = (source: Expression<string>) =>
  map('dateTime', source, (value) => {
    if (/^\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/.test(value)) return value;
    const m = /^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.\d+)?([+-]\d{4})?$/.exec(value);
    if (!m) throw new FieldValueError('is not a date/time', value);
    const [, y, mo, d, h, mi, s, tz] = m;
    let out = y!;
    if (mo) out += `-${mo}`;
    if (d) out += `-${d}`;
    if (h) out += `T${h}:${mi ?? '00'}:${s ?? '00'}`;
    if (h && tz) out += `${tz.slice(0, 3)}:${tz.slice(3)}`;
    return out;
  });

/** A decimal number; a non-numeric value is an error. */
export const number = (source: Expression<string>) =>
  map('number', source, (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) throw new FieldValueError('is not a number', value);
    return n;
  });

/** A code looked up in a table (e.g. HL7 table 0003 trigger → event type); unknown codes take `fallback` or fail. */
export function lookup<T extends string>(source: Expression<string>, table: Readonly<Record<string, T>>, fallback?: T): Expression<T> {
  return map(`lookup`, source, (value) => {
    const hit = table[value] ?? fallback;
    if (hit === undefined) throw new FieldValueError(`is not one of ${Object.keys(table).join(', ')}`, value);
    return hit;
  });
}

/** The `group`-th capture of a regular expression, e.g. the id in `Encounter/enc-v00098765`; no match is an error. */
export function capture(source: Expression<string>, pattern: RegExp, group = 1): Expression<string> {
  return expr(`capture(${source.describe}, ${pattern})`, source.sources, (ctx) => {
    const v = source.evaluate(ctx);
    if (v === undefined) return undefined;
    const m = pattern.exec(v);
    if (!m || m[group] === undefined) throw new FieldValueError(`does not match ${pattern}`, v);
    return m[group];
  });
}

export const upper = (source: Expression<string>) => map('upper', source, (v) => v.toUpperCase());

/** Present parts joined with `separator`; absent when none is present. */
export function join(separator: string, ...parts: Expression<string>[]): Expression<string> {
  return expr(
    `join(${JSON.stringify(separator)}, ${parts.map((p) => p.describe).join(', ')})`,
    parts.flatMap((p) => p.sources),
    (ctx) => {
      const values = parts.map((p) => p.evaluate(ctx)).filter((v): v is string => v !== undefined);
      return values.length > 0 ? values.join(separator) : undefined;
    },
  );
}

/** `then` only when `condition` has a value (e.g. a currency only beside an amount). */
export function when<T>(condition: Expression, then: Expression<T>): Expression<T> {
  return expr(`when(${condition.describe}, ${then.describe})`, [...condition.sources, ...then.sources], (ctx) =>
    condition.evaluate(ctx) === undefined ? undefined : then.evaluate(ctx),
  );
}

/**
 * An identifier from a repeating CX field (e.g. PID-3): the first repetition whose identifier type
 * (CX.5, HL7 table 0203) is `type`, else the first repetition.
 */
export function hl7Identifier(field: string, type: string): Expression<string> {
  return expr(`${field}[CX.5=${type}].1`, [field], (ctx) => {
    if (ctx.input.kind !== 'hl7') throw new FieldValueError(`${field} reads HL7v2, but the input is FHIR`, '');
    const m = ctx.input.message;
    const count = Math.max(1, m.repetitionCount(field));
    for (let r = 1; r <= count; r++) if (m.get(`${field}[${r}].5`) === type) return m.get(`${field}[${r}].1`) || undefined;
    return m.get(`${field}[1].1`) || undefined;
  });
}
