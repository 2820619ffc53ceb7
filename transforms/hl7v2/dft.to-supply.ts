import { defineTransform, required } from '../dsl/define-transform.ts';
import { constant, dateTime, first, hl7, hl7Identifier, join, map, number } from '../dsl/expression.ts';
import { SupplyConsumptionEventV1 } from '../canonical/supply-consumption-event.ts';
import { codeSystemUri } from '../lookups/code-systems.ts';

/**
 * The supply lines of a DFT^P03 → one SupplyConsumptionEvent each, for inventory. A supply line is
 * an FT1 whose item code carries the supply master's prefix `SUP-` (a site convention, declared here).
 */
export const dftToSupply = defineTransform({
  id: 'hl7v2.dft-to-supply',
  version: 1,
  description: 'Supplies charged on a DFT^P03 (FT1-7.1 starting SUP-) become SupplyConsumptionEvents.',
  model: SupplyConsumptionEventV1,
  accepts: { hl7: ['DFT^P03'] },
  forEach: { segment: 'FT1', where: { hl7: 'FT1-7.1', matches: '^SUP-' } },
  fields: {
    itemCode: required(hl7('FT1-7.1')),
    itemSystem: map('codeSystemUri', hl7('FT1-7.3'), codeSystemUri),
    description: hl7('FT1-7.2'),
    quantity: required(number(first(hl7('FT1-10'), constant('1')))),
    location: join('^', hl7('PV1-3.1'), hl7('PV1-3.2')),
    consumedAt: required(dateTime(hl7('FT1-4'))),
    department: hl7('FT1-13.1'),
    costCenter: hl7('ZFT-2'),
    'encounter.visitNumber': first(hl7('PV1-19.1'), hl7('PID-18.1')),
    'patient.mrn': hl7Identifier('PID-3', 'MR'),
  },
});
