import * as dsl from '../dsl/expression.ts';
import type { Expression } from '../dsl/expression.ts';
import { parsePath } from '../../hl7v2/path.ts';
import { codeSystemUri } from '../lookups/code-systems.ts';
import type { LookupTables } from '../lookups/lookup-table.ts';
import type { ExpressionNode } from './expression-ast.ts';
import type { ValueType } from './model-fields.ts';

/**
 * What a parameter accepts. `value`: any expression of `type`, where `any` is the same type for all
 * the `any` parameters of one call and `condition` is any type (a boolean, or any value meaning "is
 * present"). `literal`: a literal of `type` written in place (`'cpt-to-gl'`, `2`). `path`: an HL7v2 path.
 */
export interface FunctionParam {
  name: string;
  kind: 'value' | 'literal' | 'path';
  type: ValueType | 'any' | 'condition';
  /** May be left out (only trailing parameters). */
  optional?: boolean;
  /** The last parameter, given once or more. */
  variadic?: boolean;
}

/** What a mapping reads and the tables it may name, fixed when it is compiled. */
export interface CompileEnv {
  input: 'hl7' | 'fhir';
  tables: LookupTables;
}

/** One argument of a call, checked against its parameter: a compiled value, or a literal (path text for `path`). */
export interface Argument {
  node: ExpressionNode;
  value?: { expression: Expression; type: ValueType };
  literal?: string | number;
}

/** What `build` may use: the environment, and a way to report a problem at a node (`build` then returns its undefined). */
export interface BuildContext {
  env: CompileEnv;
  error(message: string, node: ExpressionNode): undefined;
}

/** A function of the mapping expression language, as the console shows it and as the compiler builds it. */
export interface FunctionSpec {
  name: string;
  params: readonly FunctionParam[];
  /** `any`: the type of its `any` arguments. */
  result: ValueType | 'any';
  doc: string;
  example: string;
  /** The DSL expression for checked arguments, or undefined after reporting why not. */
  build(args: readonly Argument[], ctx: BuildContext): Expression | undefined;
}

const value = (name: string, type: FunctionParam['type'] = 'string', more: Partial<FunctionParam> = {}): FunctionParam => ({
  name,
  kind: 'value',
  type,
  ...more,
});
const literal = (name: string, type: 'string' | 'number' = 'string', more: Partial<FunctionParam> = {}): FunctionParam => ({
  name,
  kind: 'literal',
  type,
  ...more,
});

/** The compiled value of a `value` argument (the compiler gives one for each). */
function ex<T = string>(a: Argument | undefined): Expression<T> {
  if (!a?.value) throw new TypeError('a value argument without its compiled value');
  return a.value.expression as Expression<T>;
}
const text = (a: Argument | undefined): string => String(a?.literal);

/** A function on one string value, by name. */
const stringFn = (name: string, doc: string, example: string, fn: (e: Expression<string>) => Expression): FunctionSpec => ({
  name,
  params: [value('x')],
  result: name === 'number' ? 'number' : 'string',
  doc,
  example,
  build: ([x]) => fn(ex(x)),
});

/** The lookup table and column an argument names, or undefined after reporting what is wrong. */
function buildLookup(args: readonly Argument[], ctx: BuildContext): Expression | undefined {
  const [tableArg, key, columnArg] = args;
  const table = ctx.env.tables.get(text(tableArg));
  if (!table) return ctx.error(`unknown lookup table '${text(tableArg)}'`, tableArg!.node);
  const column = columnArg === undefined ? undefined : text(columnArg);
  if (column !== undefined && !table.columns.slice(1).includes(column)) {
    const columns = table.columns.slice(1).join(', ');
    return ctx.error(`lookup table '${table.name}' has no column '${column}' (it has ${columns})`, columnArg!.node);
  }
  return dsl.lookup(table, ex(key), column);
}

function buildCapture(args: readonly Argument[], ctx: BuildContext): Expression | undefined {
  const [x, patternArg, groupArg] = args;
  const group = groupArg === undefined ? 1 : Number(groupArg.literal);
  let pattern: RegExp;
  try {
    pattern = new RegExp(text(patternArg));
  } catch (err) {
    return ctx.error(`the regular expression ${text(patternArg)} does not compile: ${(err as Error).message}`, patternArg!.node);
  }
  if (!Number.isInteger(group) || group < 0) return ctx.error(`group ${group} is not a whole number ≥ 0`, groupArg!.node);
  return dsl.capture(ex(x), pattern, group);
}

function buildFhir(args: readonly Argument[], ctx: BuildContext): Expression | undefined {
  const [pathArg] = args;
  if (ctx.env.input !== 'fhir') return ctx.error(`fhir() reads FHIR, but this mapping reads HL7v2`, pathArg!.node);
  try {
    return dsl.fhir(text(pathArg));
  } catch (err) {
    return ctx.error(`the FHIRPath ${text(pathArg)} does not compile: ${(err as Error).message}`, pathArg!.node);
  }
}

function buildIdentifier(args: readonly Argument[], ctx: BuildContext): Expression | undefined {
  const [field, type] = args;
  const p = parsePath(text(field));
  if (p.repetition !== undefined || p.component !== undefined) {
    return ctx.error(`identifier() takes a whole field such as PID-3, not ${text(field)}`, field!.node);
  }
  return dsl.hl7Identifier(text(field), text(type));
}

/** Every function of the mapping expression language. */
export const expressionFunctions: readonly FunctionSpec[] = [
  {
    name: 'first',
    params: [value('a', 'any'), value('b', 'any', { variadic: true })],
    result: 'any',
    doc: 'The first argument that has a value (the same as a ?? b).',
    example: 'first(PV1-19.1, PID-18.1)',
    build: (args) => dsl.first(...args.map((a) => ex<unknown>(a))),
  },
  stringFn('dateTime', 'An HL7 DTM or FHIR date/time as ISO 8601, keeping its precision and offset.', 'dateTime(FT1-4)', dsl.dateTime),
  stringFn('number', 'A decimal number; a value that is not one fails the field.', 'number(FT1-10) ?? 1', dsl.number),
  stringFn('upper', 'The value in upper case.', 'upper(PID-5.1)', dsl.upper),
  stringFn('lower', 'The value in lower case.', 'lower(PV1-3.1)', dsl.lower),
  stringFn('trim', 'The value without leading and trailing spaces; absent when nothing is left.', 'trim(PID-5.2)', dsl.trim),
  stringFn('codeSystemUri', 'An HL7 table 0396 coding system name (CPT, LN…) as its URI.', "codeSystemUri(FT1-7.3 ?? 'local')", (x) =>
    dsl.map('codeSystemUri', x, codeSystemUri),
  ),
  {
    name: 'join',
    params: [literal('separator'), value('part', 'string', { variadic: true })],
    result: 'string',
    doc: 'The parts that have a value, joined with the separator; absent when none has.',
    example: "join('^', PV1-3.1, PV1-3.2)",
    build: ([sep, ...parts]) => dsl.join(text(sep), ...parts.map((p) => ex(p))),
  },
  {
    name: 'capture',
    params: [value('x'), literal('regex'), literal('group', 'number', { optional: true })],
    result: 'string',
    doc: 'The group-th (default 1st) capture of a regular expression; a value that does not match fails the field.',
    example: "capture(fhir('subject.reference'), '^Patient/(.+)$')",
    build: buildCapture,
  },
  {
    name: 'identifier',
    params: [{ name: 'field', kind: 'path', type: 'string' }, literal('type')],
    result: 'string',
    doc: 'The ID of the first repetition of a CX field whose identifier type (CX.5) is type, else of the first.',
    example: "identifier(PID-3, 'MR')",
    build: buildIdentifier,
  },
  {
    name: 'lookup',
    params: [literal('table'), value('key'), literal('column', 'string', { optional: true })],
    result: 'string',
    doc: "A column (default: the second) of a lookup table's row for the key; a missing key takes the table's default or fails.",
    example: "lookup('cpt-to-gl', FT1-7.1, 'cost_center')",
    build: buildLookup,
  },
  {
    name: 'when',
    params: [value('condition', 'condition'), value('then', 'any'), value('else', 'any', { optional: true })],
    result: 'any',
    doc: 'then when the condition holds (true, or present), else the third argument (absent when not given).',
    example: "when(PV1-2 = 'I', 'inpatient', 'outpatient')",
    build: ([c, t, e]) => dsl.when(ex<unknown>(c), ex<unknown>(t), e ? ex<unknown>(e) : undefined),
  },
  {
    name: 'fhir',
    params: [literal('fhirpath')],
    result: 'string',
    doc: 'The first result of a FHIRPath (R4) expression on the FHIR resource.',
    example: "fhir('period.start')",
    build: buildFhir,
  },
];

const byName = new Map(expressionFunctions.map((f) => [f.name, f]));

/** The function named `name`, if the language has one. */
export const expressionFunction = (name: string): FunctionSpec | undefined => byName.get(name);
