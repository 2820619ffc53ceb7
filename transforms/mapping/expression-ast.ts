/**
 * The syntax tree of a mapping expression (see expression-grammar.ts for the syntax) and its printer.
 * Every node carries the span of source text it was parsed from; spans never take part in equality
 * (`withoutSpans`), so a tree built by hand and the same tree parsed from text compare equal.
 */

/** Where a node was written: 1-based line and column, 0-based offset and length in characters. */
export interface Span {
  line: number;
  column: number;
  offset: number;
  length: number;
}

/** The node kinds. */
export const NodeKind = {
  String: 'string',
  Number: 'number',
  Path: 'path',
  Call: 'call',
  Coalesce: 'coalesce',
  Compare: 'compare',
  Logic: 'logic',
  Not: 'not',
} as const;
export type NodeKind = (typeof NodeKind)[keyof typeof NodeKind];

export type CompareOp = '=' | '!=';
export type LogicOp = 'and' | 'or';

/** `'text'`: a string literal, its value unescaped. */
export interface StringNode {
  kind: typeof NodeKind.String;
  value: string;
  span: Span;
}
/** `1`, `-2`, `1.5`: a number literal. */
export interface NumberNode {
  kind: typeof NodeKind.Number;
  value: number;
  span: Span;
}
/** `PV1-19.1`, `FT1(2)-7.3`: an HL7v2 path as written (checked by the compiler with parsePath). */
export interface PathNode {
  kind: typeof NodeKind.Path;
  path: string;
  span: Span;
}
/** `name(arg, …)`: a function of the catalog (expression-functions.ts). */
export interface CallNode {
  kind: typeof NodeKind.Call;
  name: string;
  args: ExpressionNode[];
  span: Span;
}
/** `a ?? b ?? c`: the first present value; two options or more. */
export interface CoalesceNode {
  kind: typeof NodeKind.Coalesce;
  options: ExpressionNode[];
  span: Span;
}
/** `a = b`, `a != b`: equality of two present values. */
export interface CompareNode {
  kind: typeof NodeKind.Compare;
  op: CompareOp;
  left: ExpressionNode;
  right: ExpressionNode;
  span: Span;
}
/** `a and b and c`, `a or b`: two operands or more. */
export interface LogicNode {
  kind: typeof NodeKind.Logic;
  op: LogicOp;
  operands: ExpressionNode[];
  span: Span;
}
/** `not(a)`. */
export interface NotNode {
  kind: typeof NodeKind.Not;
  operand: ExpressionNode;
  span: Span;
}

export type ExpressionNode = StringNode | NumberNode | PathNode | CallNode | CoalesceNode | CompareNode | LogicNode | NotNode;

/** How tightly a node binds when printed: a child binding no tighter than its operator's level is parenthesised. */
export function precedence(node: ExpressionNode): number {
  switch (node.kind) {
    case NodeKind.Logic:
      return node.op === 'or' ? 1 : 2;
    case NodeKind.Compare:
      return 3;
    case NodeKind.Coalesce:
      return 4;
    default:
      return 5;
  }
}

/**
 * A string literal in single quotes: `'` is written `\'`; a backslash is written `\\` where it
 * precedes `'`, `\` or the end, and as itself elsewhere (so `'^\d+$'` reads as the regex it is).
 */
export function printString(value: string): string {
  let out = "'";
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    const next = value[i + 1];
    if (c === "'") out += "\\'";
    else if (c === '\\' && (next === undefined || next === "'" || next === '\\')) out += '\\\\';
    else out += c;
  }
  return `${out}'`;
}

/** `text` in parentheses when `child` binds no tighter than `level`. */
const wrap = (child: ExpressionNode, level: number): string => {
  const text = printExpression(child);
  return precedence(child) <= level ? `(${text})` : text;
};

/** The canonical text of an expression: parsing it gives the same tree (spans aside). */
export function printExpression(node: ExpressionNode): string {
  switch (node.kind) {
    case NodeKind.String:
      return printString(node.value);
    case NodeKind.Number:
      return String(node.value);
    case NodeKind.Path:
      return node.path;
    case NodeKind.Call:
      return `${node.name}(${node.args.map(printExpression).join(', ')})`;
    case NodeKind.Coalesce:
      return node.options.map((o) => wrap(o, 4)).join(' ?? ');
    case NodeKind.Compare:
      return `${wrap(node.left, 3)} ${node.op} ${wrap(node.right, 3)}`;
    case NodeKind.Logic:
      return node.operands.map((o) => wrap(o, precedence(node))).join(` ${node.op} `);
    case NodeKind.Not:
      return `not(${printExpression(node.operand)})`;
  }
}

/** A span-free copy of the tree (plain data), for comparing trees in tests. */
export function withoutSpans(node: ExpressionNode): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'span') continue;
    out[k] = Array.isArray(v) ? (v as ExpressionNode[]).map(withoutSpans) : isNode(v) ? withoutSpans(v) : v;
  }
  return out;
}

/** Whether two trees are the same expression, spans aside. */
export function sameExpression(a: ExpressionNode, b: ExpressionNode): boolean {
  return same(withoutSpans(a), withoutSpans(b));
}

function same(a: unknown, b: unknown): boolean {
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => same(x, b[i]));
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return a === b;
  const ka = Object.keys(a);
  const rb = b as Record<string, unknown>;
  return ka.length === Object.keys(b).length && ka.every((k) => k in rb && same((a as Record<string, unknown>)[k], rb[k]));
}

const isNode = (v: unknown): v is ExpressionNode => typeof v === 'object' && v !== null && 'kind' in v;
