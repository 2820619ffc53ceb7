import test from 'ava';
import { canonicalJson, transactionContentKey } from '../../connectors/fhir/transaction-key.ts';

test('canonical JSON orders keys at every depth and keeps arrays in order', (t) => {
  t.is(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 'x' }], c: null } }), '{"a":{"c":null,"d":[2,{"y":"x","z":1}]},"b":1}');
  t.is(canonicalJson({ a: undefined, b: 'é' }), '{"b":"é"}', 'an undefined member is left out, as JSON.stringify does');
});

test('a transaction key depends on the content, not on the order of its keys', (t) => {
  const one = { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: { resourceType: 'Encounter', status: 'planned' } }] };
  const same = { entry: [{ resource: { status: 'planned', resourceType: 'Encounter' } }], type: 'transaction', resourceType: 'Bundle' };
  const other = { ...one, entry: [{ resource: { resourceType: 'Encounter', status: 'finished' } }] };
  t.is(transactionContentKey(one), transactionContentKey(same));
  t.not(transactionContentKey(one), transactionContentKey(other));
  t.regex(transactionContentKey(one), /^txn:sha256:[0-9a-f]{64}$/);
});
