import fhirpath from 'fhirpath';
import r4 from 'fhirpath/fhir-context/r4/index.js';
import type { Hl7Message } from '../../hl7v2/index.ts';
import { parsePath } from '../../hl7v2/path.ts';
import { FieldValueError } from './transform-errors.ts';
import { lookupValue, type LookupTable } from '../lookups/lookup-table.ts';
import { printString } from '../mapping/expression-ast.ts';

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
  /** The expression in the mapping expression syntax (transforms/mapping), as printExpression prints it. */
  readonly describe: string;
  /** The input paths it reads, for error messages. */
  readonly sources: readonly string[];
  /** How tightly `describe` binds (printer's levels: 1 `or`, 2 `and`, 3 `=`, 4 `??`); absent: a primary. */
  readonly precedence?: number;
  evaluate(ctx: EvalContext): T | undefined;
}

const expr = <T>(
  describe: string,
  sources: readonly string[],
  evaluate: (ctx: EvalContext) => T | undefined,
  precedence?: number,
): Expression<T> => ({ describe, sources, evaluate, ...(precedence === undefined ? {} : { precedence }) });

/** `e`'s describe, in parentheses when it binds no tighter than `level`. */
const operand = (e: Expression, level: number): string => ((e.precedence ?? 5) <= level ? `(${e.describe})` : e.describe);

/** A condition's truth: a boolean expression's value, or any other expression's presence. */
const holds = (value: unknown): boolean => value !== undefined && value !== false;

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
  return expr(`fhir(${printString(expression)})`, [expression], (ctx) => {
    if (ctx.input.kind !== 'fhir') throw new FieldValueError(`${expression} reads FHIR, but the input is HL7v2`, '');
    const [first] = compiled(ctx.input.resource) as unknown[];
    return first === undefined || first === null || first === '' ? undefined : String(first);
  });
}

/** A literal value: `'USD'`, `1`. */
export const constant = <T extends string | number>(value: T): Expression<T> =>
  expr(typeof value === 'string' ? printString(value) : String(value), [], () => value);

/** The first of the expressions that gives a value (`a ?? b`). */
export function first<T>(...options: Expression<T>[]): Expression<T> {
  return expr(
    options.map((o) => operand(o, 4)).join(' ?? '),
    options.flatMap((o) => o.sources),
    (ctx) => {
      for (const o of options) {
        const v = o.evaluate(ctx);
        if (v !== undefined) return v;
      }
      return undefined;
    },
    options.length > 1 ? 4 : options[0]?.precedence,
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

/**
 * `column` (default: the second) of `table`'s row for the key (e.g. HL7 table 0003 trigger → event
 * type); a key not in the table takes the table's default or fails (lookupValue). The caller checks
 * that `column` is one of the table's non-key columns.
 */
export function lookup(table: LookupTable, key: Expression<string>, column?: string): Expression<string> {
  const args = [printString(table.name), key.describe, ...(column === undefined ? [] : [printString(column)])];
  return expr(`lookup(${args.join(', ')})`, key.sources, (ctx) => {
    const v = key.evaluate(ctx);
    return v === undefined ? undefined : lookupValue(table, v, column);
  });
}

/**
 * The `group`-th capture of a regular expression, e.g. the id in `Encounter/enc-v00098765`; no match is an error.
 * Described as `capture(x, 'source'[, group])`: the pattern's flags are not part of it (mapping expressions have none).
 */
export function capture(source: Expression<string>, pattern: RegExp, group = 1): Expression<string> {
  const args = [source.describe, printString(pattern.source), ...(group === 1 ? [] : [String(group)])];
  return expr(`capture(${args.join(', ')})`, source.sources, (ctx) => {
    const v = source.evaluate(ctx);
    if (v === undefined) return undefined;
    const m = pattern.exec(v);
    if (!m || m[group] === undefined) throw new FieldValueError(`does not match ${pattern}`, v);
    return m[group];
  });
}

export const upper = (source: Expression<string>) => map('upper', source, (v) => v.toUpperCase());
export const lower = (source: Expression<string>) => map('lower', source, (v) => v.toLowerCase());
/** Without leading and trailing white space; absent when nothing is left. */
export const trim = (source: Expression<string>) =>
  expr(`trim(${source.describe})`, source.sources, (ctx) => source.evaluate(ctx)?.trim() || undefined);

/** Present parts joined with `separator`; absent when none is present. */
export function join(separator: string, ...parts: Expression<string>[]): Expression<string> {
  return expr(
    `join(${[printString(separator), ...parts.map((p) => p.describe)].join(', ')})`,
    parts.flatMap((p) => p.sources),
    (ctx) => {
      const values = parts.map((p) => p.evaluate(ctx)).filter((v): v is string => v !== undefined);
      return values.length > 0 ? values.join(separator) : undefined;
    },
  );
}

/**
 * `then` when `condition` holds (a boolean expression that is true, or any other expression that has
 * a value, e.g. a currency only beside an amount), else `otherwise` (absent when not given).
 */
export function when<T>(condition: Expression, then: Expression<T>, otherwise?: Expression<T>): Expression<T> {
  const parts = otherwise ? [condition, then, otherwise] : [condition, then];
  return expr(
    `when(${parts.map((p) => p.describe).join(', ')})`,
    parts.flatMap((p) => p.sources),
    (ctx) => (holds(condition.evaluate(ctx)) ? then.evaluate(ctx) : otherwise?.evaluate(ctx)),
  );
}

/** `a = b`: both present and equal; `a != b` is its negation. Never absent. */
export function compare(op: '=' | '!=', left: Expression, right: Expression): Expression<boolean> {
  return expr(
    `${operand(left, 3)} ${op} ${operand(right, 3)}`,
    [...left.sources, ...right.sources],
    (ctx) => {
      const l = left.evaluate(ctx);
      const equal = l !== undefined && l === right.evaluate(ctx);
      return op === '=' ? equal : !equal;
    },
    3,
  );
}

/** `a and b …` / `a or b …` over conditions (see `when`); never absent. */
export function logic(op: 'and' | 'or', ...operands: Expression[]): Expression<boolean> {
  const level = op === 'or' ? 1 : 2;
  return expr(
    operands.map((o) => operand(o, level)).join(` ${op} `),
    operands.flatMap((o) => o.sources),
    (ctx) => (op === 'and' ? operands.every((o) => holds(o.evaluate(ctx))) : operands.some((o) => holds(o.evaluate(ctx)))),
    level,
  );
}

/** `not(a)`: whether the condition `a` does not hold; never absent. */
export const not = (condition: Expression): Expression<boolean> =>
  expr(`not(${condition.describe})`, condition.sources, (ctx) => !holds(condition.evaluate(ctx)));

/**
 * An identifier from a repeating CX field (e.g. PID-3): the first repetition whose identifier type
 * (CX.5, HL7 table 0203) is `type`, else the first repetition.
 */
export function hl7Identifier(field: string, type: string): Expression<string> {
  return expr(`identifier(${field}, ${printString(type)})`, [field], (ctx) => {
    if (ctx.input.kind !== 'hl7') throw new FieldValueError(`${field} reads HL7v2, but the input is FHIR`, '');
    const m = ctx.input.message;
    const count = Math.max(1, m.repetitionCount(field));
    for (let r = 1; r <= count; r++) if (m.get(`${field}[${r}].5`) === type) return m.get(`${field}[${r}].1`) || undefined;
    return m.get(`${field}[1].1`) || undefined;
  });
}
