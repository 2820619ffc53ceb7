import type { Transform } from './dsl/define-transform.ts';
import { adtToEncounter } from './hl7v2/adt.to-encounter.ts';
import { dftToCharges } from './hl7v2/dft.to-charges.ts';
import { dftToSupply } from './hl7v2/dft.to-supply.ts';
import { fhirEncounterToEncounter } from './fhir/encounter.to-encounter.ts';
import { fhirChargeItemToCharge } from './fhir/chargeitem.to-charge.ts';
import { fhirSupplyDeliveryToSupply } from './fhir/supplydelivery.to-supply.ts';
import { fhirPractitionerRoleToWorkforce } from './fhir/practitionerrole.to-workforce.ts';

/** Every shipped transform, by id. Channels name transforms by these ids. */
export const transforms: ReadonlyMap<string, Transform> = new Map(
  [
    adtToEncounter,
    dftToCharges,
    dftToSupply,
    fhirEncounterToEncounter,
    fhirChargeItemToCharge,
    fhirSupplyDeliveryToSupply,
    fhirPractitionerRoleToWorkforce,
  ].map((t) => [t.id, t]),
);
