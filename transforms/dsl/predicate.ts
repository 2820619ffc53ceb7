import { fhir, hl7, type EvalContext, type Expression } from './expression.ts';

/**
 * A condition written as data (so channel files stay data and export as JSON): a source, either an
 * HL7v2 path or a FHIRPath expression, and a test on its value; or a combination of conditions.
 * Examples: `{ hl7: 'PV1-2', oneOf: ['I', 'O'] }`, `{ hl7: 'FT1-7.1', matches: '^SUP-' }`,
 * `{ not: { fhir: 'status', oneOf: ['entered-in-error'] } }`.
 */
export type Condition =
  | { hl7: string; oneOf?: string[]; matches?: string; present?: boolean }
  | { fhir: string; oneOf?: string[]; matches?: string; present?: boolean }
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition };

export interface Predicate {
  readonly describe: string;
  test(ctx: EvalContext): boolean;
}

/** Compiles a condition once (regular expressions and FHIRPath included). */
export function compileCondition(c: Condition): Predicate {
  if ('all' in c) {
    const parts = c.all.map(compileCondition);
    return { describe: parts.map((p) => p.describe).join(' and '), test: (ctx) => parts.every((p) => p.test(ctx)) };
  }
  if ('any' in c) {
    const parts = c.any.map(compileCondition);
    return { describe: `(${parts.map((p) => p.describe).join(' or ')})`, test: (ctx) => parts.some((p) => p.test(ctx)) };
  }
  if ('not' in c) {
    const inner = compileCondition(c.not);
    return { describe: `not ${inner.describe}`, test: (ctx) => !inner.test(ctx) };
  }
  const source: Expression<string> = 'hl7' in c ? hl7(c.hl7) : fhir(c.fhir);
  const pattern = c.matches === undefined ? undefined : new RegExp(c.matches);
  const describe = [
    'hl7' in c ? c.hl7 : c.fhir,
    c.oneOf ? `in [${c.oneOf.join(', ')}]` : '',
    pattern ? `matches ${pattern}` : '',
    c.present === false ? 'is absent' : c.oneOf || pattern ? '' : 'is present',
  ]
    .filter(Boolean)
    .join(' ');
  return {
    describe,
    test(ctx) {
      const value = source.evaluate(ctx);
      if (c.present === false) return value === undefined;
      if (value === undefined) return false;
      if (c.oneOf && !c.oneOf.includes(value)) return false;
      return !(pattern && !pattern.test(value));
    },
  };
}
