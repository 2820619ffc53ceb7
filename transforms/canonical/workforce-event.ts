import { Type, type Static } from '@sinclair/typebox';
import { opt, str } from './data-class.ts';
import { SourceRef } from './source-ref.ts';

/** WorkforceEvent v1: a person takes up a role, for HR and payroll onboarding. From FHIR PractitionerRole. */
export const WorkforceEventV1 = Type.Object(
  {
    eventType: Type.Union([Type.Literal('onboard'), Type.Literal('change'), Type.Literal('offboard')], { dataClass: 'operational' }),
    personId: str('indirect-identifier', { description: 'PractitionerRole.practitioner reference id' }),
    personName: opt(str('direct-identifier')),
    roleCode: str('operational', { description: 'PractitionerRole.code, e.g. NUCC taxonomy' }),
    roleName: opt(str('operational')),
    specialty: opt(str('operational')),
    organization: opt(str('operational')),
    costCenter: opt(str('financial')),
    startDate: str('operational', { description: 'ISO 8601 date' }),
    endDate: opt(str('operational')),
    source: SourceRef,
  },
  {
    $id: 'WorkforceEvent.v1',
    title: 'WorkforceEvent',
    version: 1,
    description: 'A person takes up or leaves a role, for HR and payroll. From FHIR PractitionerRole.',
  },
);
export type WorkforceEventV1 = Static<typeof WorkforceEventV1>;
