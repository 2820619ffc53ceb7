import test, { type ExecutionContext } from 'ava';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { decodeBytes, parseMessage } from '../../hl7v2/index.ts';
import { transforms } from '../../transforms/index.ts';
import type { Transform } from '../../transforms/dsl/define-transform.ts';
import type { EvalContext, Expression, TransformInput } from '../../transforms/dsl/expression.ts';
import { FieldValueError } from '../../transforms/dsl/transform-errors.ts';
import { shippedTables } from '../../transforms/lookups/shipped-tables.ts';
import { compileExpression } from '../../transforms/mapping/expression-compile.ts';
import { CORPUS, requireShared, SHARED } from '../support/shared.ts';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/transforms');

/** A fixture's input, parsed the way intake does (as tests/unit/transforms.test.ts does). */
async function fixtureInputs(id: string): Promise<[string, TransformInput][]> {
  const dir = path.join(FIXTURES, id);
  const files = (await readdir(dir)).filter((f) => !f.endsWith('.expected.json'));
  return Promise.all(
    files.map(async (file): Promise<[string, TransformInput]> => {
      const bytes = await readFile(path.join(dir, file));
      if (file.endsWith('.json')) return [file, { kind: 'fhir', resource: JSON.parse(bytes.toString('utf8')) as Record<string, unknown> }];
      return [file, { kind: 'hl7', message: parseMessage(decodeBytes(bytes).text) }];
    }),
  );
}

/** One context per event: each occurrence of the forEach segment (where or not), else the whole input. */
function contexts(forEach: string | undefined, input: TransformInput): EvalContext[] {
  if (!forEach || input.kind !== 'hl7') return [{ input }];
  const segment = forEach.split(' ')[0]!;
  return input.message.segments(segment).map((_, i) => ({ input, occurrences: { [segment]: i + 1 } }));
}

/** What an expression gives: a value, or the field error it throws. */
function outcome(e: Expression, ctx: EvalContext): unknown {
  try {
    return { value: e.evaluate(ctx) };
  } catch (err) {
    if (!(err instanceof FieldValueError)) throw err;
    return { error: err.reason, value: err.value, sources: e.sources };
  }
}

/** Checks that each row compiles from its printed source, and gives what the shipped expression gives on every input. */
function sameOnInputs(t: ExecutionContext, transform: Transform, inputs: readonly [string, TransformInput][]): void {
  for (const row of transform.rows) {
    const where = `${transform.id} ${row.target}: ${row.source}`;
    const compiled = compileExpression(row.source, { input: transform.input, tables: shippedTables });
    if (!compiled.ok) {
      t.fail(`${where}: ${JSON.stringify(compiled.errors)}`);
      continue;
    }
    t.is(compiled.expression.describe, row.source, where);
    const shipped = transform.expressions[row.target]!;
    t.deepEqual(compiled.expression.sources, shipped.sources, where);
    for (const [file, input] of inputs) {
      for (const [i, ctx] of contexts(transform.forEach, input).entries()) {
        t.deepEqual(outcome(compiled.expression, ctx), outcome(shipped, ctx), `${where} on ${file} event ${i + 1}`);
      }
    }
  }
}

test('every row of every shipped transform compiles from its printed source and gives the same on every fixture', async (t) => {
  for (const transform of transforms.values()) {
    const inputs = await fixtureInputs(transform.id);
    t.true(inputs.length > 0, transform.id);
    sameOnInputs(t, transform, inputs);
  }
});

test('the compiled rows give the same as the shipped ones on every message of the corpus and every FHIR sample', async (t) => {
  if (!requireShared(t)) return;
  const inputs: [string, TransformInput][] = [];
  for (const file of (await readdir(CORPUS)).filter((f) => f.endsWith('.hl7'))) {
    const text = decodeBytes(await readFile(path.join(CORPUS, file))).text;
    try {
      inputs.push([file, { kind: 'hl7', message: parseMessage(text) }]);
    } catch {
      // the corpus's malformed cases (100-…): intake refuses them before any transform
    }
  }
  const samples = path.join(SHARED, 'fhir-samples');
  for (const file of (await readdir(samples)).filter((f) => f.endsWith('.json') && !f.startsWith('bad-'))) {
    const resource = JSON.parse(await readFile(path.join(samples, file), 'utf8')) as Record<string, unknown>;
    inputs.push([file, { kind: 'fhir', resource }]);
  }
  t.true(inputs.length > 10);
  for (const transform of transforms.values())
    sameOnInputs(
      t,
      transform,
      inputs.filter(([, i]) => i.kind === transform.input),
    );
});
