import { TypeCompiler } from '@sinclair/typebox/compiler';
import { canonicalSchema } from '../canonical/index.ts';
import { defineTransform, required, type Transform } from '../dsl/define-transform.ts';
import type { Expression } from '../dsl/expression.ts';
import { compileCondition, type Condition } from '../dsl/predicate.ts';
import type { LookupTables } from '../lookups/lookup-table.ts';
import { NodeKind, type ExpressionNode } from './expression-ast.ts';
import { compileExpression } from './expression-compile.ts';
import { parseExpression } from './expression-grammar.ts';
import { closest } from './closest-name.ts';
import { MappingDefinition } from './mapping-definition.ts';
import { modelFields, ValueType, type ModelField } from './model-fields.ts';

/**
 * One problem with a mapping, named for an analyst: `path` is a JSON pointer into the definition
 * (`/fields/glAccount/expr`); `line` and `column` (1-based) point into that expression's text.
 */
export interface MappingProblem {
  path: string;
  message: string;
  line?: number;
  column?: number;
}

export type CompiledMapping = { ok: true; transform: Transform } | { ok: false; problems: MappingProblem[] };

const checkShape = TypeCompiler.Compile(MappingDefinition);

/**
 * Checks a mapping and compiles it into the Transform the TypeScript DSL would make (one engine
 * path for both). Every problem is collected, not only the first: the shape of the definition,
 * the model, every target (it exists in the model; every field the model requires is mapped), every
 * expression (syntax with line and column, unknown functions, bad HL7 paths, unknown lookup tables
 * and columns, FHIRPath that does not compile) and whether its type fits its target's. `tables`
 * resolves the lookup tables at the versions this compilation pins (a channel version's); which it
 * names is mappingTables'. Fixtures are not run here (runFixtures).
 */
export function compileMapping(definition: unknown, version: number, tables: LookupTables): CompiledMapping {
  if (!checkShape.Check(definition)) {
    return {
      ok: false,
      problems: [...checkShape.Errors(definition)].slice(0, 20).map((e) => ({ path: e.path || '/', message: e.message })),
    };
  }
  const def = definition as MappingDefinition;
  const schema = canonicalSchema(def.model, def.modelVersion);
  if (!schema) return { ok: false, problems: [{ path: '/model', message: `no canonical model ${def.model} version ${def.modelVersion}` }] };
  const fields = new Map(modelFields(schema).map((f) => [f.path, f]));
  const problems: MappingProblem[] = [];
  const compiled: Record<string, Expression | ReturnType<typeof required>> = {};
  for (const [target, field] of Object.entries(def.fields)) {
    const path = `/fields/${target}/expr`;
    const modelField = fields.get(target);
    if (!modelField) {
      problems.push({
        path: `/fields/${target}`,
        message: `${def.model} has no field ${target}${didYouMean(closest(target, [...fields.keys()]))}`,
      });
      continue;
    }
    const parsed = parseExpression(field.expr);
    const result = parsed.ok ? compileExpression(parsed.ast, { input: def.input, tables }) : parsed;
    if (!result.ok) {
      problems.push(...result.errors.map((e) => ({ path, message: `${target}: ${e.message}`, line: e.line, column: e.column })));
      continue;
    }
    const misfit = typeProblem(modelField, result.type);
    if (misfit) problems.push({ path, message: `${target}: ${misfit}` });
    compiled[target] = (field.required ?? modelField.required) ? required(result.expression) : result.expression;
  }
  for (const f of fields.values())
    if (f.required && !(f.path in def.fields)) problems.push({ path: '/fields', message: `${def.model} requires ${f.path}: map it` });
  const forEach = checkForEach(def, tables, problems);
  if (problems.length > 0) return { ok: false, problems };
  const transform = defineTransform({
    id: def.id,
    version,
    description: def.description,
    model: schema,
    accepts: def.input === 'hl7' ? { hl7: def.accepts } : { fhir: def.accepts },
    ...(forEach ? { forEach, lookupTables: tables } : {}),
    fields: compiled,
  });
  return { ok: true, transform };
}

/** The lookup tables a mapping (a draft, whatever its shape) names in its expressions and its forEach condition. */
export function mappingTables(definition: unknown): string[] {
  const def = definition as Partial<MappingDefinition> | null;
  const fields = def && typeof def.fields === 'object' && def.fields ? Object.values(def.fields) : [];
  const names = new Set<string>();
  for (const f of fields) {
    const parsed = typeof f?.expr === 'string' ? parseExpression(f.expr) : undefined;
    if (parsed?.ok) for (const t of tablesRead(parsed.ast)) names.add(t);
  }
  try {
    for (const t of conditionTables(def?.forEach?.where)) names.add(t);
  } catch {
    // a malformed condition: compileMapping names it
  }
  return [...names];
}

/** The lookup tables a condition names (`inTable`). */
export function conditionTables(c: Condition | undefined): string[] {
  if (!c) return [];
  if ('all' in c) return c.all.flatMap(conditionTables);
  if ('any' in c) return c.any.flatMap(conditionTables);
  if ('not' in c) return conditionTables(c.not);
  return c.inTable ? [c.inTable] : [];
}

/** The lookup tables an expression names (`lookup('<table>', …)`, the table always a literal). */
export function tablesRead(node: ExpressionNode): string[] {
  switch (node.kind) {
    case NodeKind.String:
    case NodeKind.Number:
    case NodeKind.Path:
      return [];
    case NodeKind.Call: {
      const [first] = node.args;
      const own = node.name === 'lookup' && first?.kind === NodeKind.String ? [first.value] : [];
      return [...own, ...node.args.flatMap(tablesRead)];
    }
    case NodeKind.Coalesce:
      return node.options.flatMap(tablesRead);
    case NodeKind.Compare:
      return [...tablesRead(node.left), ...tablesRead(node.right)];
    case NodeKind.Logic:
      return node.operands.flatMap(tablesRead);
    case NodeKind.Not:
      return tablesRead(node.operand);
    default:
      return node satisfies never;
  }
}

/** Whether an expression of type `type` can fill `field`; the reason when not. */
function typeProblem(field: ModelField, type: ValueType): string | undefined {
  if (type === field.type) return undefined;
  const hint = field.type === ValueType.number ? ': wrap it in number(…)' : '';
  return `the expression gives a ${type}, the field takes a ${field.type}${hint}`;
}

function checkForEach(def: MappingDefinition, tables: LookupTables, problems: MappingProblem[]): MappingDefinition['forEach'] {
  if (!def.forEach) return undefined;
  if (def.input !== 'hl7') {
    problems.push({ path: '/forEach', message: 'forEach repeats an HL7v2 segment: a FHIR mapping makes one event per resource' });
    return undefined;
  }
  if (def.forEach.where) {
    try {
      compileCondition(def.forEach.where, tables);
    } catch (err) {
      problems.push({ path: '/forEach/where', message: (err as Error).message });
    }
  }
  return def.forEach;
}

const didYouMean = (name: string | undefined) => (name ? ` (did you mean ${name}?)` : '');
