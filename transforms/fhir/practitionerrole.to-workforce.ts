import { defineTransform, required } from '../dsl/define-transform.ts';
import { capture, dateTime, fhir, first, lookup } from '../dsl/expression.ts';
import { WorkforceEventV1 } from '../canonical/workforce-event.ts';
import { FHIR_PRACTITIONERROLE_ACTIVE } from '../lookups/shipped-tables.ts';

/** FHIR R4 PractitionerRole → one WorkforceEvent (https://hl7.org/fhir/R4/practitionerrole.html). */
export const fhirPractitionerRoleToWorkforce = defineTransform({
  id: 'fhir.practitionerrole-to-workforce',
  version: 1,
  description: 'A PractitionerRole becomes a WorkforceEvent: onboarding when active, offboarding when not.',
  model: WorkforceEventV1,
  accepts: { fhir: ['PractitionerRole'] },
  fields: {
    eventType: required(lookup(FHIR_PRACTITIONERROLE_ACTIVE, fhir('active'))),
    personId: required(capture(fhir('practitioner.reference'), /^Practitioner\/(.+)$/)),
    personName: fhir('practitioner.display'),
    roleCode: required(fhir('code.coding.code')),
    roleName: fhir('code.coding.display'),
    specialty: first(fhir('specialty.text'), fhir('specialty.coding.display')),
    organization: fhir('organization.display'),
    costCenter: fhir("extension.where(url='urn:genhosp:cost-center').value"),
    startDate: required(dateTime(fhir('period.start'))),
    endDate: dateTime(fhir('period.end')),
  },
});
