import * as ohm from 'ohm-js';
import { NodeKind, type CompareOp, type ExpressionNode, type LogicOp, type Span } from './expression-ast.ts';

/**
 * The syntax of mapping expressions, as an ohm-js PEG grammar. Spaces and line breaks between tokens
 * are free. From the loosest to the tightest binding:
 *
 * - `a or b`, then `a and b` (operands: boolean expressions, or any value meaning "is present");
 * - `a = b`, `a != b` (not chained: `(a = b) = c` needs its parentheses);
 * - `a ?? b ?? c`: the first present value;
 * - primaries: `(expr)`; `not(expr)`; an HL7v2 path in the corpus notation `SEG(n)-f[r].c.s`
 *   (`PV1-19.1`, `PID-3[2].1`, `FT1(2)-7.3`, `ZFT-2`; a segment id is 3 upper-case letters or digits);
 *   a call `name(arg, …)`; a string in single quotes (`'I'`; `\'` is a quote and `\\` a backslash,
 *   a backslash before any other character stays as written, so `'^\d+$'` is the regex it reads as);
 *   a number (`1`, `1.5`, `-2`).
 *
 * `and`, `or` and `not` are reserved words.
 */
const GRAMMAR = String.raw`
Mapping {
  Expr = NonemptyListOf<And, or>
  And = NonemptyListOf<Compare, and>
  Compare = Coalesce compareOp Coalesce  -- binary
          | Coalesce
  Coalesce = NonemptyListOf<Primary, "??">
  Primary = "(" Expr ")"                 -- paren
          | not "(" Expr ")"             -- not
          | path
          | name "(" ListOf<Expr, ","> ")"  -- call
          | string
          | number
  compareOp = "!=" | "="
  and = "and" ~nameChar
  or = "or" ~nameChar
  not = "not" ~nameChar
  name = ~(and | or | not) letter nameChar*
  nameChar = alnum | "_"
  path = segment occurrence? "-" digits repetition? component? ~nameChar
  segment = segmentChar segmentChar segmentChar
  segmentChar = upper | digit
  occurrence = "(" digits ")"
  repetition = "[" digits "]"
  component = "." digits ("." digits)?
  digits = digit+
  number = "-"? digits ("." digits)? ~nameChar
  string = "'" stringChar* "'"
  stringChar = "\\\\"       -- backslash
             | "\\'"        -- quote
             | ~"'" any     -- plain
}
`;

const grammar = ohm.grammar(GRAMMAR);

/** A problem in an expression's text, at a 1-based line and column. */
export interface ExpressionError {
  message: string;
  line: number;
  column: number;
}

export type ParseResult = { ok: true; ast: ExpressionNode } | { ok: false; errors: ExpressionError[] };

/** The 1-based line and column of `offset` in `text`. */
function positionAt(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before.at(-1)!.length + 1 };
}

const span = (node: ohm.Node): Span => {
  const { startIdx, endIdx } = node.source;
  return { ...positionAt(node.source.sourceString, startIdx), offset: startIdx, length: endIdx - startIdx };
};

const semantics = grammar.createSemantics().addOperation<unknown>('ast', {
  Expr(list) {
    return flatten(this, list, 'or');
  },
  And(list) {
    return flatten(this, list, 'and');
  },
  Compare_binary(left, op, right) {
    return { kind: NodeKind.Compare, op: op.sourceString as CompareOp, left: left.ast(), right: right.ast(), span: span(this) };
  },
  Coalesce(list) {
    const options = list.asIteration().children.map((c) => c.ast() as ExpressionNode);
    return options.length === 1 ? options[0] : { kind: NodeKind.Coalesce, options, span: span(this) };
  },
  Primary_paren(_open, inner, _close) {
    return inner.ast();
  },
  Primary_not(_not, _open, inner, _close) {
    return { kind: NodeKind.Not, operand: inner.ast(), span: span(this) };
  },
  Primary_call(name, _open, args, _close) {
    const list = args.asIteration().children.map((c) => c.ast() as ExpressionNode);
    return { kind: NodeKind.Call, name: name.sourceString, args: list, span: span(this) };
  },
  path(_segment, _occurrence, _dash, _field, _repetition, _component) {
    return { kind: NodeKind.Path, path: this.sourceString, span: span(this) };
  },
  number(_minus, _int, _dot, _fraction) {
    return { kind: NodeKind.Number, value: Number(this.sourceString), span: span(this) };
  },
  string(_open, chars, _close) {
    return { kind: NodeKind.String, value: chars.children.map((c) => c.ast() as string).join(''), span: span(this) };
  },
  stringChar_backslash(_) {
    return '\\';
  },
  stringChar_quote(_) {
    return "'";
  },
  stringChar_plain(_) {
    return this.sourceString;
  },
});

/** One operand as itself, several as a logic node. */
function flatten(node: ohm.Node, list: ohm.Node, op: LogicOp): ExpressionNode {
  const operands = list.asIteration().children.map((c) => c.ast() as ExpressionNode);
  return operands.length === 1 ? operands[0]! : { kind: NodeKind.Logic, op, operands, span: span(node) };
}

/**
 * Parses an expression (syntax above). A syntax error is reported at ohm's rightmost failure
 * position with what was expected there, e.g. `expected ")"` at line 2, column 7.
 */
export function parseExpression(text: string): ParseResult {
  const match = grammar.match(text);
  if (match.failed()) {
    const at = positionAt(text, match.getRightmostFailurePosition());
    return { ok: false, errors: [{ message: `expected ${match.getExpectedText()}`, ...at }] };
  }
  return { ok: true, ast: semantics(match).ast() as ExpressionNode };
}
