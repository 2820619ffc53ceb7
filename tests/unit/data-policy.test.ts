import test from 'ava';
import { Type } from '@sinclair/typebox';
import { applyDataPolicy, DEFAULT_DATA_POLICY } from '../../engine/security/data-policy.ts';
import { ChargeEventV1 } from '../../transforms/canonical/charge-event.ts';
import { str } from '../../transforms/canonical/data-class.ts';

const charge = {
  lineNumber: 1,
  transactionType: 'CG',
  code: '27447',
  codeSystem: 'http://www.ama-assn.org/go/cpt',
  quantity: 1,
  serviceDate: '2026-03-20T12:00:00',
  costCenter: 'COSTCTR-4410',
  encounter: { visitNumber: 'V00098765', patientClass: 'I' },
  patient: { mrn: '100234' },
  source: { channelId: 'c', messageType: 'DFT^P03', controlId: 'DFT0001', sendingApplication: 'EPIC', sendingFacility: 'GENHOSP' },
};

test('the default policy removes direct identifiers and keeps the rest', (t) => {
  const out = applyDataPolicy(ChargeEventV1, charge, DEFAULT_DATA_POLICY) as Record<string, unknown>;
  t.is(out.patient, undefined);
  t.is(out.code, '27447');
  t.deepEqual(out.encounter, { visitNumber: 'V00098765', patientClass: 'I' });
  t.false(JSON.stringify(out).includes('100234'));
});

test('a policy that allows direct identifiers keeps them', (t) => {
  const out = applyDataPolicy(ChargeEventV1, charge, { allow: ['direct-identifier', 'financial', 'operational', 'clinical'] }) as Record<string, unknown>;
  t.deepEqual(out.patient, { mrn: '100234' });
});

test('fields the schema does not classify, or does not know, are removed (fail closed)', (t) => {
  const schema = Type.Object({ known: str('operational'), unclassified: Type.String() });
  t.deepEqual(applyDataPolicy(schema, { known: 'a', unclassified: 'b', extra: 'c' }, DEFAULT_DATA_POLICY), { known: 'a' });
});
