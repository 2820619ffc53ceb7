import { defineTransform, required } from '../dsl/define-transform.ts';
import { constant, dateTime, fhir, first, lookup, number, when } from '../dsl/expression.ts';
import { ChargeEventV1 } from '../canonical/charge-event.ts';
import { FHIR_CHARGEITEM_STATUS } from '../lookups/shipped-tables.ts';
import { mrnFromReference, visitFromReference } from './references.ts';

/** FHIR R4 ChargeItem → one ChargeEvent (https://hl7.org/fhir/R4/chargeitem.html). */
export const fhirChargeItemToCharge = defineTransform({
  id: 'fhir.chargeitem-to-charge',
  version: 1,
  description: 'A billable FHIR ChargeItem becomes one ChargeEvent; an aborted or erroneous one a credit.',
  model: ChargeEventV1,
  accepts: { fhir: ['ChargeItem'] },
  fields: {
    transactionType: required(lookup(FHIR_CHARGEITEM_STATUS, fhir('status'))),
    code: required(fhir('code.coding.code')),
    codeSystem: required(fhir('code.coding.system')),
    description: first(fhir('code.coding.display'), fhir('code.text')),
    quantity: required(number(first(fhir('quantity.value'), constant('1')))),
    'amount.value': number(first(fhir('priceOverride.value'), fhir('factorOverride'))),
    'amount.currency': when(fhir('priceOverride.value'), first(fhir('priceOverride.currency'), constant('USD'))),
    serviceDate: required(dateTime(first(fhir('occurrence'), fhir('enteredDate')))),
    department: fhir('performingOrganization.display'),
    costCenter: first(fhir('costCenter.identifier.value'), fhir('costCenter.display')),
    performerId: fhir('performer.actor.reference'),
    'encounter.visitNumber': required(visitFromReference('context')),
    'patient.mrn': required(mrnFromReference('subject')),
  },
});
