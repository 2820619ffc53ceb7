import { fhir, hl7, type EvalContext, type Expression } from './expression.ts';
import type { LookupTables } from '../lookups/lookup-table.ts';

/**
 * A condition written as data (so channel files stay data and export as JSON): a source, either an
 * HL7v2 path or a FHIRPath expression, and a test on its value; or a combination of conditions.
 * Examples: `{ hl7: 'PV1-2', oneOf: ['I', 'O'] }`, `{ hl7: 'FT1-7.1', matches: '^SUP-' }`,
 * `{ hl7: 'ZCH-2', inTable: 'cpt-to-gl' }` (a key of that lookup table),
 * `{ not: { fhir: 'status', oneOf: ['entered-in-error'] } }`.
 */
export type Condition =
  | { hl7: string; oneOf?: string[]; matches?: string; inTable?: string; present?: boolean }
  | { fhir: string; oneOf?: string[]; matches?: string; inTable?: string; present?: boolean }
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition };

export interface Predicate {
  readonly describe: string;
  test(ctx: EvalContext): boolean;
}

/**
 * Compiles a condition once (regular expressions, FHIRPath and lookup tables included). `tables`
 * resolves `inTable` (a channel version's pinned tables); compiled without them, a condition naming
 * a table compiles (its shape is checked) but throws when tested: the engine compiles channel
 * filters with their tables when it deploys them (engine/mappings/transform-catalog.ts).
 */
export function compileCondition(c: Condition, tables?: LookupTables): Predicate {
  if ('all' in c) {
    const parts = c.all.map((x) => compileCondition(x, tables));
    return { describe: parts.map((p) => p.describe).join(' and '), test: (ctx) => parts.every((p) => p.test(ctx)) };
  }
  if ('any' in c) {
    const parts = c.any.map((x) => compileCondition(x, tables));
    return { describe: `(${parts.map((p) => p.describe).join(' or ')})`, test: (ctx) => parts.some((p) => p.test(ctx)) };
  }
  if ('not' in c) {
    const inner = compileCondition(c.not, tables);
    return { describe: `not ${inner.describe}`, test: (ctx) => !inner.test(ctx) };
  }
  const source: Expression<string> = 'hl7' in c ? hl7(c.hl7) : fhir(c.fhir);
  const pattern = c.matches === undefined ? undefined : new RegExp(c.matches);
  const keys = c.inTable === undefined ? undefined : tableKeys(c.inTable, tables);
  const describe = [
    'hl7' in c ? c.hl7 : c.fhir,
    c.oneOf ? `in [${c.oneOf.join(', ')}]` : '',
    pattern ? `matches ${pattern}` : '',
    c.inTable ? `in table ${c.inTable}` : '',
    c.present === false ? 'is absent' : c.oneOf || pattern || c.inTable ? '' : 'is present',
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
      if (keys && !keys().has(value)) return false;
      return !(pattern && !pattern.test(value));
    },
  };
}

/** The keys of a lookup table, read once; without `tables`, a function that throws (see compileCondition). */
function tableKeys(name: string, tables: LookupTables | undefined): () => ReadonlySet<string> {
  if (!tables) {
    return () => {
      throw new TypeError(`the condition reads lookup table ${name}, which was not resolved`);
    };
  }
  const table = tables.get(name);
  if (!table) throw new TypeError(`no lookup table ${name}`);
  const keys = new Set(table.rows.map((r) => r[0]!));
  return () => keys;
}
