import test from 'ava';
import fc from 'fast-check';
import {
  NodeKind,
  printExpression,
  sameExpression,
  withoutSpans,
  type ExpressionNode,
  type Span,
} from '../../transforms/mapping/expression-ast.ts';
import { parseExpression } from '../../transforms/mapping/expression-grammar.ts';
import { compileExpression } from '../../transforms/mapping/expression-compile.ts';
import type { CompileEnv } from '../../transforms/mapping/expression-functions.ts';
import type { LookupTable } from '../../transforms/lookups/lookup-table.ts';
import { shippedTables } from '../../transforms/lookups/shipped-tables.ts';
import { parseMessage } from '../../hl7v2/index.ts';

const parsed = (text: string): ExpressionNode => {
  const r = parseExpression(text);
  if (!r.ok) throw new Error(`${text}: ${JSON.stringify(r.errors)}`);
  return r.ast;
};
const print = (text: string) => printExpression(parsed(text));

const CPT_TO_GL: LookupTable = {
  name: 'cpt-to-gl',
  version: 1,
  columns: ['cpt', 'gl_account', 'cost_center'],
  rows: [['27447', 'GL-5100-200', 'CC-4410']],
  onMissing: { error: true },
};
const tables = { get: (name: string) => (name === 'cpt-to-gl' ? CPT_TO_GL : shippedTables.get(name)) };
const hl7Env = { input: 'hl7' as const, tables };
const fhirEnv = { input: 'fhir' as const, tables };

const EXAMPLES = [
  'first(PV1-19.1, PID-18.1)',
  'dateTime(FT1-4)',
  'number(FT1-10) ?? 1',
  "lookup('cpt-to-gl', FT1-7.1)",
  "lookup('cpt-to-gl', ZCH-3, 'cost_center')",
  "when(PV1-2 = 'I', 'inpatient', 'outpatient')",
  "fhir('period.start')",
];

test('every example of the brief parses and prints as written', (t) => {
  for (const text of EXAMPLES) t.is(print(text), text);
});

test('paths, literals, operators and their precedence parse into the expected tree', (t) => {
  t.deepEqual(withoutSpans(parsed('FT1(2)-7[3].1.2')), { kind: NodeKind.Path, path: 'FT1(2)-7[3].1.2' });
  t.deepEqual(withoutSpans(parsed('-2.5')), { kind: NodeKind.Number, value: -2.5 });
  t.deepEqual(withoutSpans(parsed(String.raw`'it\'s \\ \d'`)), { kind: NodeKind.String, value: String.raw`it's \ \d` });
  t.is(
    print("a(PV1-2) = 'I' and not(PV1-3 != 'x') or PID-3[2].1 ?? ZFT-2 = MSH-9.2"),
    print("((a(PV1-2) = 'I') and not((PV1-3 != 'x'))) or ((PID-3[2].1 ?? ZFT-2) = MSH-9.2)"),
  );
  t.is(print("(PV1-2 ?? PV1-3) ?? 'x'"), "(PV1-2 ?? PV1-3) ?? 'x'");
  t.is(print('(f() or g()) and h()'), '(f() or g()) and h()');
  t.is(print('f(\n  PV1-2 ,\n\t1 )'), 'f(PV1-2, 1)');
  const ast = parsed("when(\n  PV1-2 = 'I',\n  'x')");
  t.deepEqual(ast.kind === NodeKind.Call ? ast.args[0]!.span : undefined, { line: 2, column: 3, offset: 8, length: 11 });
});

test('a syntax error names the line and column and what was expected there', (t) => {
  t.deepEqual(parseExpression("when(PV1-2 = 'I',\n  'x'\n  'y')"), {
    ok: false,
    errors: [{ message: 'expected ")", ",", "or", "and", "??", "=", or "!="', line: 3, column: 3 }],
  });
  const r = parseExpression("first(PV1-2, 'open");
  t.like(r, { ok: false, errors: [{ line: 1, column: 19 }] });
  t.false(parseExpression('and(PV1-2)').ok, 'and is a reserved word');
  t.false(parseExpression('PV1-2 = PV1-3 = PV1-4').ok, 'comparisons do not chain');
});

const errors = (text: string, env: CompileEnv = hl7Env) => {
  const r = compileExpression(text, env);
  return r.ok ? [] : r.errors;
};

test('compile errors name the problem at its line and column, every one of them', (t) => {
  t.deepEqual(errors("join('^', PV1-2,\n  frist(PV1-3))"), [
    { message: 'unknown function frist(): did you mean first()?', line: 2, column: 3 },
  ]);
  t.deepEqual(errors("dateTime(PID-0.1) ?? number(PV1-2, 'x')"), [
    { message: "bad HL7v2 path: 'PID-0.1': positions count from 1", line: 1, column: 10 },
    { message: 'number() takes 1 argument, got 2: number(FT1-10) ?? 1', line: 1, column: 22 },
  ]);
  t.deepEqual(errors('dateTime(number(FT1-10))'), [
    { message: 'argument 1 (x) of dateTime() must be a string, not a number', line: 1, column: 10 },
  ]);
  t.deepEqual(errors("number(FT1-10) ?? 'one'"), [{ message: '?? mixes a number and a string', line: 1, column: 1 }]);
  t.deepEqual(errors("lookup('cpt-to-dx', FT1-7.1)\n?? lookup('cpt-to-gl', FT1-7.1, 'gl')"), [
    { message: "unknown lookup table 'cpt-to-dx'", line: 1, column: 8 },
    { message: "lookup table 'cpt-to-gl' has no column 'gl' (it has gl_account, cost_center)", line: 2, column: 33 },
  ]);
  t.deepEqual(errors('lookup(table, FT1-7.1)'), [{ message: 'expected "("', line: 1, column: 13 }]);
  t.deepEqual(errors("lookup(upper('cpt-to-gl'), FT1-7.1)"), [
    { message: 'argument 1 (table) of lookup() must be a string in quotes', line: 1, column: 8 },
  ]);
  t.deepEqual(errors("capture(PV1-2, '(') ?? fhir('status')"), [
    { message: 'the regular expression ( does not compile: Invalid regular expression: /(/: Unterminated group', line: 1, column: 16 },
    { message: 'fhir() reads FHIR, but this mapping reads HL7v2', line: 1, column: 29 },
  ]);
  t.deepEqual(
    errors("PV1-2 ?? fhir('period.start(')", fhirEnv).map((e) => [e.line, e.column, e.message.slice(0, 40)]),
    [
      [1, 1, 'the HL7v2 path PV1-2 in a FHIR mapping ('],
      [1, 15, 'the FHIRPath period.start( does not comp'],
    ],
  );
  t.deepEqual(errors("identifier(PID-3.1, 'MR')"), [
    { message: 'identifier() takes a whole field such as PID-3, not PID-3.1', line: 1, column: 12 },
  ]);
});

const adt = parseMessage('MSH|^~\\&|A|B|C|D|20260101||ADT^A01|X|P|2.5.1\rPID|1||7^^^H^PI~100^^^H^MR||Doe^Jane\rPV1|1|I|W1^R2^B3\r');
const value = (text: string) => {
  const r = compileExpression(text, hl7Env);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return { type: r.type, value: r.expression.evaluate({ input: { kind: 'hl7', message: adt } }) };
};

test('compiled expressions evaluate with their types', (t) => {
  t.deepEqual(value("when(PV1-2 = 'I', 'inpatient', 'outpatient')"), { type: 'string', value: 'inpatient' });
  t.deepEqual(value("when(PV1-2 != 'I', 'inpatient', 'outpatient')"), { type: 'string', value: 'outpatient' });
  t.deepEqual(value("when(PV1-44, 'discharged')"), { type: 'string', value: undefined });
  t.deepEqual(value("PV1-2 = 'I' and not(PV1-44) or PV1-45 = 'x'"), { type: 'boolean', value: true });
  t.deepEqual(value("identifier(PID-3, 'MR')"), { type: 'string', value: '100' });
  t.deepEqual(value("lookup('hl7-adt-event-types', MSH-9.2)"), { type: 'string', value: 'admit' });
  t.deepEqual(value("lookup('cpt-to-gl', '27447', 'cost_center')"), { type: 'string', value: 'CC-4410' });
  t.deepEqual(value("join('-', lower(PID-5.1), trim(' x '), upper(PID-5.2))"), { type: 'string', value: 'doe-x-JANE' });
  t.deepEqual(value('number(PV1-44) ?? -1.5'), { type: 'number', value: -1.5 });
  t.deepEqual(value("capture(MSH-9, '^(\\w+)\\^A(\\d+)$', 2)"), { type: 'string', value: '01' });
  t.deepEqual(value("first(PV1-19.1, PID-5.2, 'x')"), { type: 'string', value: 'Jane' });
  t.deepEqual(value("codeSystemUri('LN')"), { type: 'string', value: 'http://loinc.org' });
});

const SPAN: Span = { line: 1, column: 1, offset: 0, length: 0 };
const digits = fc.integer({ min: 0, max: 99 }).map(String);
const pathArb = fc
  .tuple(
    fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'), minLength: 3, maxLength: 3 }),
    fc.option(
      digits.map((d) => `(${d})`),
      { nil: '' },
    ),
    digits,
    fc.option(
      digits.map((d) => `[${d}]`),
      { nil: '' },
    ),
    fc.option(
      fc.tuple(digits, fc.option(digits, { nil: undefined })).map(([c, s]) => `.${c}${s ? `.${s}` : ''}`),
      { nil: '' },
    ),
  )
  .map(([seg, occ, field, rep, comp]): ExpressionNode => ({ kind: NodeKind.Path, path: `${seg}${occ}-${field}${rep}${comp}`, span: SPAN }));
const leaf = fc.oneof(
  fc
    .oneof(fc.string(), fc.string({ unit: fc.constantFrom("'", '\\', 'd', '\n', 'é', ' ') }))
    .map((value): ExpressionNode => ({ kind: NodeKind.String, value, span: SPAN })),
  fc.integer({ min: -1e6, max: 1e6 }).map((n): ExpressionNode => ({ kind: NodeKind.Number, value: n / 100 || 0, span: SPAN })),
  pathArb,
);
const names = fc.stringMatching(/^[a-z][a-zA-Z0-9_]{0,6}$/).filter((n) => !['and', 'or', 'not'].includes(n));
const { node: nodeArb } = fc.letrec<{ node: ExpressionNode }>((tie) => ({
  node: fc.oneof(
    { maxDepth: 4, depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.record({ kind: fc.constant(NodeKind.Call), name: names, args: fc.array(tie('node'), { maxLength: 3 }), span: fc.constant(SPAN) }),
    fc.record({
      kind: fc.constant(NodeKind.Coalesce),
      options: fc.array(tie('node'), { minLength: 2, maxLength: 3 }),
      span: fc.constant(SPAN),
    }),
    fc.record({
      kind: fc.constant(NodeKind.Compare),
      op: fc.constantFrom('=' as const, '!=' as const),
      left: tie('node'),
      right: tie('node'),
      span: fc.constant(SPAN),
    }),
    fc.record({
      kind: fc.constant(NodeKind.Logic),
      op: fc.constantFrom('and' as const, 'or' as const),
      operands: fc.array(tie('node'), { minLength: 2, maxLength: 3 }),
      span: fc.constant(SPAN),
    }),
    fc.record({ kind: fc.constant(NodeKind.Not), operand: tie('node'), span: fc.constant(SPAN) }),
  ),
}));

test('parse(print(ast)) is the same tree, spans aside, for random trees', (t) => {
  fc.assert(
    fc.property(nodeArb, (ast) => {
      const text = printExpression(ast);
      const r = parseExpression(text);
      if (!r.ok) throw new Error(`${text}: ${JSON.stringify(r.errors)}`);
      t.deepEqual(withoutSpans(r.ast), withoutSpans(ast), text);
      t.true(sameExpression(r.ast, ast), text);
    }),
    { numRuns: 500 },
  );
});

/** The same expression with extra white space and redundant parentheses around every subexpression. */
function loosely(node: ExpressionNode, ws: string): string {
  const sub = (n: ExpressionNode) => `(${ws}${loosely(n, ws)}${ws})`;
  switch (node.kind) {
    case NodeKind.Call:
      return `${node.name}${ws}(${ws}${node.args.map(sub).join(`${ws},${ws}`)}${ws})`;
    case NodeKind.Coalesce:
      return node.options.map(sub).join(`${ws}??${ws}`);
    case NodeKind.Compare:
      return `${sub(node.left)}${ws}${node.op}${ws}${sub(node.right)}`;
    case NodeKind.Logic:
      return node.operands.map(sub).join(` ${ws}${node.op}${ws} `);
    case NodeKind.Not:
      return `not${ws}(${sub(node.operand)})`;
    default:
      return printExpression(node);
  }
}

test('print(parse(text)) is idempotent, and white space and redundant parentheses do not change the tree', (t) => {
  fc.assert(
    fc.property(nodeArb, fc.constantFrom('', ' ', '\n  ', '\t'), (ast, ws) => {
      const once = printExpression(parsed(loosely(ast, ws)));
      t.is(printExpression(parsed(once)), once);
      t.is(once, printExpression(ast));
    }),
    { numRuns: 300 },
  );
});
