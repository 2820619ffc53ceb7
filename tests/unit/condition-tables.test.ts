import test from 'ava';
import { parseMessage } from '../../hl7v2/index.ts';
import type { LookupTable } from '../../transforms/lookups/lookup-table.ts';
import { compileCondition } from '../../transforms/dsl/predicate.ts';

const table: LookupTable = {
  name: 'cpt-to-gl',
  version: 3,
  columns: ['code', 'gl_account'],
  rows: [
    ['LAB-CBC', '6100-LAB'],
    ['RAD-XR', '6200-RAD'],
  ],
  onMissing: { error: true },
};
const tables = { get: (name: string) => (name === table.name ? table : undefined) };
const ctx = (code: string) => ({
  input: { kind: 'hl7' as const, message: parseMessage(`MSH|^~\\&|A|B|C|D|20260101||DFT^P03|1|P|2.5.1\rZCH|1|${code}`) },
});

test('a condition on a lookup table holds for its keys only, and describes itself by the table', (t) => {
  const p = compileCondition({ hl7: 'ZCH-2', inTable: 'cpt-to-gl' }, tables);
  t.true(p.test(ctx('RAD-XR')));
  t.false(p.test(ctx('XRAY-OLD')));
  t.is(p.describe, 'ZCH-2 in table cpt-to-gl');
  t.false(compileCondition({ not: { hl7: 'ZCH-2', inTable: 'cpt-to-gl' } }, tables).test(ctx('LAB-CBC')));
});

test('a table not resolved: an unknown name fails to compile; without tables it compiles and fails when tested', (t) => {
  t.throws(() => compileCondition({ hl7: 'ZCH-2', inTable: 'no-such' }, tables), { message: /no lookup table no-such/ });
  const unresolved = compileCondition({ hl7: 'ZCH-2', inTable: 'cpt-to-gl' });
  t.throws(() => unresolved.test(ctx('RAD-XR')), { message: /not resolved/ });
});
