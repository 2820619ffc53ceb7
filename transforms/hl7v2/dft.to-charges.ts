import { defineTransform, required } from '../dsl/define-transform.ts';
import { constant, dateTime, first, hl7, hl7Identifier, map, number, when } from '../dsl/expression.ts';
import { ChargeEventV1 } from '../canonical/charge-event.ts';
import { codeSystemUri } from '../lookups/code-systems.ts';

/**
 * DFT^P03 → one ChargeEvent per FT1, in order (HL7 v2.5.1 ch. 6). Cost center and GL account come
 * from the site segment ZFT (ZFT-2, ZFT-3) when the sender adds it.
 */
export const dftToCharges = defineTransform({
  id: 'hl7v2.dft-to-charges',
  version: 2,
  description: 'Each financial transaction line of a DFT^P03 becomes one ChargeEvent.',
  model: ChargeEventV1,
  accepts: { hl7: ['DFT^P03'] },
  forEach: { segment: 'FT1' },
  fields: {
    lineNumber: number(hl7('FT1-1')),
    transactionType: required(hl7('FT1-6')),
    code: required(hl7('FT1-7.1')),
    codeSystem: required(map('codeSystemUri', first(hl7('FT1-7.3'), constant('local')), codeSystemUri)),
    description: hl7('FT1-7.2'),
    quantity: required(number(first(hl7('FT1-10'), constant('1')))),
    'amount.value': number(hl7('FT1-11.1')),
    'amount.currency': when(hl7('FT1-11.1'), first(hl7('FT1-11.2'), constant('USD'))),
    serviceDate: required(dateTime(hl7('FT1-4'))),
    department: hl7('FT1-13.1'),
    costCenter: hl7('ZFT-2'),
    glAccount: hl7('ZFT-3'),
    performerId: hl7('FT1-20.1'),
    'encounter.visitNumber': required(first(hl7('PV1-19.1'), hl7('PID-18.1'))),
    'encounter.patientClass': hl7('PV1-2'),
    'patient.mrn': required(hl7Identifier('PID-3', 'MR')),
  },
});
