import * as dsl from '../dsl/expression.ts';
import type { Expression } from '../dsl/expression.ts';
import { parsePath } from '../../hl7v2/path.ts';
import { NodeKind, type CallNode, type ExpressionNode } from './expression-ast.ts';
import { parseExpression, type ExpressionError } from './expression-grammar.ts';
import {
  expressionFunction,
  expressionFunctions,
  type Argument,
  type BuildContext,
  type CompileEnv,
  type FunctionParam,
  type FunctionSpec,
} from './expression-functions.ts';
import type { ValueType } from './model-fields.ts';
import { closest } from './closest-name.ts';

export type CompileResult = { ok: true; expression: Expression; type: ValueType } | { ok: false; errors: ExpressionError[] };

type Typed = { expression: Expression; type: ValueType };
type Ctx = BuildContext & { errors: ExpressionError[] };

/**
 * Compiles a mapping expression (text, or a tree from parseExpression) into the DSL Expression the
 * TypeScript transforms build with the same helpers, so both run through one engine path; and its type.
 * Every problem is reported, each at its line and column: a syntax error; an unknown function (with the
 * closest name); a wrong number, kind or type of arguments; a bad HL7 path; an HL7 path in a FHIR mapping
 * or fhir() in an HL7v2 one; an unknown lookup table or column; a FHIRPath or regex that does not compile.
 */
export function compileExpression(source: string | ExpressionNode, env: CompileEnv): CompileResult {
  let ast: ExpressionNode;
  if (typeof source === 'string') {
    const parsed = parseExpression(source);
    if (!parsed.ok) return parsed;
    ast = parsed.ast;
  } else ast = source;
  const errors: ExpressionError[] = [];
  const ctx: Ctx = {
    env,
    errors,
    error(message, node) {
      errors.push({ message, line: node.span.line, column: node.span.column });
      return undefined;
    },
  };
  const typed = compileNode(ast, ctx);
  return typed && errors.length === 0 ? { ok: true, ...typed } : { ok: false, errors };
}

const article = (t: string) => (t === 'string' ? 'a string' : t === 'number' ? 'a number' : 'a boolean');

/** The one type of `parts` (all compiled), or undefined after reporting that they differ. */
function sameType(parts: readonly Typed[], what: string, node: ExpressionNode, ctx: Ctx): ValueType | undefined {
  const types = [...new Set(parts.map((p) => p.type))];
  if (types.length <= 1) return types[0];
  return ctx.error(`${what} mixes ${types.map(article).join(' and ')}`, node);
}

/** Compiles each node (to report every error), undefined when one failed. */
function compileAll(nodes: readonly ExpressionNode[], ctx: Ctx): Typed[] | undefined {
  const out = nodes.map((n) => compileNode(n, ctx));
  return out.every((t) => t !== undefined) ? out : undefined;
}

function compileNode(node: ExpressionNode, ctx: Ctx): Typed | undefined {
  switch (node.kind) {
    case NodeKind.String:
      return { expression: dsl.constant(node.value), type: 'string' };
    case NodeKind.Number:
      return { expression: dsl.constant(node.value), type: 'number' };
    case NodeKind.Path:
      return checkPath(node.path, node, ctx) ? { expression: dsl.hl7(node.path), type: 'string' } : undefined;
    case NodeKind.Coalesce: {
      const options = compileAll(node.options, ctx);
      const type = options && sameType(options, '??', node, ctx);
      return options && type ? { expression: dsl.first(...options.map((o) => o.expression)), type } : undefined;
    }
    case NodeKind.Compare: {
      const sides = compileAll([node.left, node.right], ctx);
      const type = sides && sameType(sides, node.op, node, ctx);
      return sides && type ? { expression: dsl.compare(node.op, sides[0]!.expression, sides[1]!.expression), type: 'boolean' } : undefined;
    }
    case NodeKind.Logic: {
      const operands = compileAll(node.operands, ctx);
      return operands && { expression: dsl.logic(node.op, ...operands.map((o) => o.expression)), type: 'boolean' };
    }
    case NodeKind.Not: {
      const operand = compileNode(node.operand, ctx);
      return operand && { expression: dsl.not(operand.expression), type: 'boolean' };
    }
    case NodeKind.Call:
      return compileCall(node, ctx);
  }
}

/** Whether `path` is a valid HL7v2 path in an HL7v2 mapping; else reports why not. */
function checkPath(path: string, node: ExpressionNode, ctx: Ctx): boolean {
  let problem: string | undefined;
  if (ctx.env.input !== 'hl7') problem = `the HL7v2 path ${path} in a FHIR mapping (read FHIR with fhir('…'))`;
  else {
    try {
      parsePath(path);
    } catch (err) {
      problem = `bad HL7v2 path: ${(err as Error).message}`;
    }
  }
  if (problem) ctx.error(problem, node);
  return problem === undefined;
}

function compileCall(node: CallNode, ctx: Ctx): Typed | undefined {
  const spec = expressionFunction(node.name);
  if (!spec) {
    const near = closest(
      node.name,
      expressionFunctions.map((f) => f.name),
    );
    return ctx.error(`unknown function ${node.name}()${near ? `: did you mean ${near}()?` : ''}`, node);
  }
  const errorsBefore = ctx.errors.length;
  const args = node.args.map((arg, i) => compileArgument(spec, paramAt(spec, i), i, arg, ctx));
  checkArity(spec, node, ctx);
  if (ctx.errors.length > errorsBefore) return undefined;
  const checked = args as Argument[];
  const anyTypes = checked.filter((a, i) => paramAt(spec, i)?.type === 'any').map((a) => a.value!);
  const common = sameType(anyTypes, `${spec.name}()`, node, ctx);
  if (spec.result === 'any' && !common) return undefined;
  const expression = spec.build(checked, ctx);
  return expression && { expression, type: spec.result === 'any' ? common! : spec.result };
}

const paramAt = (spec: FunctionSpec, i: number): FunctionParam | undefined =>
  spec.params[i] ?? (spec.params.at(-1)?.variadic ? spec.params.at(-1) : undefined);

/** Reports a call with too few or too many arguments. */
function checkArity(spec: FunctionSpec, node: CallNode, ctx: Ctx): void {
  const min = spec.params.filter((p) => !p.optional).length;
  const max = spec.params.at(-1)?.variadic ? Infinity : spec.params.length;
  const n = node.args.length;
  if (n >= min && n <= max) return;
  const range = max === Infinity ? `${min} or more` : min === max ? `${min}` : `${min} to ${max}`;
  ctx.error(`${spec.name}() takes ${range} argument${range === '1' ? '' : 's'}, got ${n}: ${spec.example}`, node);
}

/** One argument checked against its parameter (undefined after reporting, or when there is no such parameter). */
function compileArgument(
  spec: FunctionSpec,
  param: FunctionParam | undefined,
  i: number,
  node: ExpressionNode,
  ctx: Ctx,
): Argument | undefined {
  if (!param) return undefined;
  const where = `argument ${i + 1} (${param.name}) of ${spec.name}()`;
  if (param.kind === 'path') {
    if (node.kind !== NodeKind.Path) return ctx.error(`${where} must be an HL7v2 path such as PID-3`, node);
    return checkPath(node.path, node, ctx) ? { node, literal: node.path } : undefined;
  }
  if (param.kind === 'literal') {
    const wanted = param.type === 'number' ? NodeKind.Number : NodeKind.String;
    if ((node.kind !== NodeKind.String && node.kind !== NodeKind.Number) || node.kind !== wanted) {
      return ctx.error(`${where} must be ${param.type === 'number' ? 'a number' : 'a string in quotes'}`, node);
    }
    return { node, literal: node.value };
  }
  const typed = compileNode(node, ctx);
  if (!typed) return undefined;
  if (param.type !== 'any' && param.type !== 'condition' && typed.type !== param.type) {
    return ctx.error(`${where} must be ${article(param.type)}, not ${article(typed.type)}`, node);
  }
  return { node, value: typed };
}
