import { defineTransform, required } from '../dsl/define-transform.ts';
import { constant, dateTime, fhir, first, number } from '../dsl/expression.ts';
import { SupplyConsumptionEventV1 } from '../canonical/supply-consumption-event.ts';
import { mrnFromReference } from './references.ts';

/** FHIR R4 SupplyDelivery → one SupplyConsumptionEvent (https://hl7.org/fhir/R4/supplydelivery.html). */
export const fhirSupplyDeliveryToSupply = defineTransform({
  id: 'fhir.supplydelivery-to-supply',
  version: 1,
  description: 'A completed FHIR SupplyDelivery becomes one SupplyConsumptionEvent.',
  model: SupplyConsumptionEventV1,
  accepts: { fhir: ['SupplyDelivery'] },
  fields: {
    itemCode: required(fhir('suppliedItem.item.coding.code')),
    itemSystem: fhir('suppliedItem.item.coding.system'),
    description: fhir('suppliedItem.item.coding.display'),
    quantity: required(number(first(fhir('suppliedItem.quantity.value'), constant('1')))),
    location: fhir('destination.display'),
    consumedAt: required(dateTime(fhir('occurrence'))),
    'patient.mrn': mrnFromReference('patient'),
  },
});
