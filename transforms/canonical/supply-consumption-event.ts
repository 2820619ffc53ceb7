import { Type, type Static } from '@sinclair/typebox';
import { num, opt, str } from './data-class.ts';
import { SourceRef } from './source-ref.ts';

/**
 * SupplyConsumptionEvent v1: an item used up in care, for inventory. From the supply lines of a
 * DFT^P03 (FT1 whose item code is a supply) and FHIR SupplyDelivery.
 */
export const SupplyConsumptionEventV1 = Type.Object(
  {
    itemCode: str('operational', { description: 'FT1-7.1 / SupplyDelivery.suppliedItem.itemCodeableConcept' }),
    itemSystem: opt(str('operational')),
    description: opt(str('operational')),
    quantity: num('operational'),
    location: opt(str('operational', { description: 'where it was used: PV1-3 / SupplyDelivery.destination' })),
    consumedAt: str('operational', { description: 'ISO 8601' }),
    department: opt(str('financial')),
    costCenter: opt(str('financial')),
    encounter: opt(
      Type.Object({
        visitNumber: str('indirect-identifier', {
          pseudonym: true,
          description: 'PV1-19.1 visit (account) number, or its keyed pseudonym when the destination pseudonymises',
        }),
      }),
    ),
    patient: opt(
      Type.Object({
        mrn: str('direct-identifier', { pseudonym: true, description: 'MRN, or its keyed pseudonym when the destination pseudonymises' }),
      }),
    ),
    source: SourceRef,
  },
  {
    $id: 'SupplyConsumptionEvent.v1',
    title: 'SupplyConsumptionEvent',
    version: 1,
    description: 'An item used up in care, for inventory. From the supply lines of a DFT^P03 and FHIR SupplyDelivery.',
  },
);
export type SupplyConsumptionEventV1 = Static<typeof SupplyConsumptionEventV1>;
