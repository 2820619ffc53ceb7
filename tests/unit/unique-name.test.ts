import test from 'ava';
import { uniqueName, uniqueNameMadeAt } from '../../scripts/lib/unique-name.ts';

test(
  'uniqueNameMadeAt reads the time back from names uniqueName made, and nothing from any other name ' +
    '(scripts/drop-stale-test-data.ts drops only those)',
  (t) => {
    const before = Date.now();
    const at = uniqueNameMadeAt(uniqueName('sbtest'));
    t.truthy(at);
    t.true(at!.getTime() >= before && at!.getTime() <= Date.now());
    t.truthy(uniqueNameMadeAt(uniqueName('sbreplaykill')));
    for (const other of [
      'switchboard',
      'sbbench_5a8t4z_e2e',
      'sbbench_5a8t4z_ingest-all',
      'probe1',
      'admin',
      'sb_zzzzzzzzz_abc',
      'hospital_miqab1c2_x1y2z3',
      'sbtest_miqab1c2',
    ])
      t.is(uniqueNameMadeAt(other), undefined, other);
  },
);
