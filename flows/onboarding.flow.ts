import { defineFlow } from '../engine/flows/flow-schema.ts';

/** A JSON POST to a development peer (peers/flow-peers.ts), or the site's system, named by an environment variable. */
const post = (variable: string, fallback: string, path: string) => ({
  kind: 'http-json',
  config: { url: `\${${variable}:-${fallback}}${path}`, method: 'POST' },
});

/**
 * Undoes a step after an abort: `DELETE <path>/{<output>}` at the same system, the id the step's
 * answer gave (http-json: a DELETE of what is already gone is done).
 */
const undo = (variable: string, fallback: string, path: string, step: string, output: string) => ({
  connector: { kind: 'http-json', config: { url: `\${${variable}:-${fallback}}${path}/{${output}}`, method: 'DELETE' } },
  request: { [output]: { ref: `steps.${step}.${output}` } },
});

/** The user id the identity system gave: every later system files the clinician under it. */
const userId = { ref: 'steps.identity.id' } as const;

/**
 * The onboarding seed scenario (issue 24): a clinician taking up a role (an active FHIR
 * PractitionerRole on the EHR's FHIR channel, a WorkforceEvent `onboard`) gets a user at the
 * identity system (SCIM 2.0 `POST /Users`), then a schedule, a payroll record and a cost-center
 * assignment in parallel, then credentialing, then a place in the ERP's approval hierarchy, which
 * waits for all. Only identity and credentialing see who the clinician is (the practitioner id and
 * name); the others get the user id and what they file it under.
 */
export default defineFlow({
  id: 'onboarding',
  description: 'A clinician hired: identity (SCIM), scheduling, payroll, cost center, credentialing, ERP approvals',
  // Active roles only: an inactive one is an offboarding, a role without `active` a change (fhir-practitionerrole-active).
  trigger: { channelId: 'ehr-fhir', model: 'WorkforceEvent', filter: { fhir: 'active', oneOf: ['true'] } },
  keys: ['personId', 'costCenter'],
  steps: [
    {
      id: 'identity',
      kind: 'call',
      description: 'SCIM 2.0 user at the identity system, named by the practitioner id',
      dependsOn: [],
      connector: post('FLOW_IDENTITY_URL', 'http://127.0.0.1:8100', '/Users'),
      request: {
        schemas: { value: ['urn:ietf:params:scim:schemas:core:2.0:User'] },
        userName: { ref: 'event.personId' },
        externalId: { ref: 'event.personId' },
        'name.formatted': { ref: 'event.personName' },
        active: { value: true },
      },
      outputs: ['id', 'userName'],
      compensation: undo('FLOW_IDENTITY_URL', 'http://127.0.0.1:8100', '/Users', 'identity', 'id'),
      dataPolicy: { allow: ['direct-identifier', 'indirect-identifier'] },
    },
    {
      id: 'scheduling',
      kind: 'call',
      description: 'Rota membership in the department (the role’s organization)',
      dependsOn: ['identity'],
      connector: post('FLOW_SCHEDULING_URL', 'http://127.0.0.1:8101', '/schedules'),
      request: {
        userId,
        department: { ref: 'event.organization' },
        role: { ref: 'event.roleCode' },
        specialty: { ref: 'event.specialty' },
        startDate: { ref: 'event.startDate' },
      },
      outputs: ['scheduleId'],
      compensation: undo('FLOW_SCHEDULING_URL', 'http://127.0.0.1:8101', '/schedules', 'scheduling', 'scheduleId'),
      dataPolicy: { allow: ['operational'] },
    },
    {
      id: 'payroll',
      kind: 'call',
      description: 'Payroll record; the payroll system grades by the role code',
      dependsOn: ['identity'],
      connector: post('FLOW_PAYROLL_URL', 'http://127.0.0.1:8102', '/employees'),
      request: { userId, payGrade: { ref: 'event.roleCode' }, startDate: { ref: 'event.startDate' } },
      outputs: ['payrollId'],
      compensation: undo('FLOW_PAYROLL_URL', 'http://127.0.0.1:8102', '/employees', 'payroll', 'payrollId'),
      dataPolicy: { allow: ['operational'] },
    },
    {
      id: 'cost-center',
      kind: 'call',
      description: 'Assignment to the role’s cost center',
      dependsOn: ['identity'],
      connector: post('FLOW_COSTCENTER_URL', 'http://127.0.0.1:8103', '/cost-center-assignments'),
      request: { userId, costCenter: { ref: 'event.costCenter' }, startDate: { ref: 'event.startDate' } },
      outputs: ['assignmentId'],
      compensation: undo('FLOW_COSTCENTER_URL', 'http://127.0.0.1:8103', '/cost-center-assignments', 'cost-center', 'assignmentId'),
      dataPolicy: { allow: ['financial', 'operational'] },
    },
    {
      id: 'credentialing',
      kind: 'call',
      description: 'Credentialing request for the role, once the clinician is scheduled, on the payroll and in a cost center',
      dependsOn: ['scheduling', 'payroll', 'cost-center'],
      connector: post('FLOW_CREDENTIALING_URL', 'http://127.0.0.1:8104', '/credentialing-requests'),
      // Credentialing checks licences and privileges of a named practitioner.
      request: {
        userId,
        role: { ref: 'event.roleCode' },
        specialty: { ref: 'event.specialty' },
        practitionerId: { ref: 'event.personId' },
        name: { ref: 'event.personName' },
        startDate: { ref: 'event.startDate' },
      },
      outputs: ['credentialingId'],
      compensation: undo('FLOW_CREDENTIALING_URL', 'http://127.0.0.1:8104', '/credentialing-requests', 'credentialing', 'credentialingId'),
      dataPolicy: { allow: ['direct-identifier', 'indirect-identifier', 'operational'] },
    },
    {
      id: 'approval',
      kind: 'call',
      description: 'Place in the ERP’s approval hierarchy, after every other system',
      dependsOn: ['scheduling', 'payroll', 'cost-center', 'credentialing'],
      connector: post('FLOW_APPROVAL_URL', 'http://127.0.0.1:8105', '/approval-assignments'),
      request: {
        userId,
        costCenter: { ref: 'event.costCenter' },
        role: { ref: 'event.roleCode' },
        assignmentId: { ref: 'steps.cost-center.assignmentId' },
        credentialingId: { ref: 'steps.credentialing.credentialingId' },
      },
      outputs: ['approvalId'],
      dataPolicy: { allow: ['financial', 'operational'] },
    },
  ],
});
