/**
 * The onboarding flow's workforce peers after identity (scim-identity-simulator.ts), each a record peer
 * (record-peer.ts: a recorded JSON POST answered 201 with an id, `DELETE <path>/:id` to cancel, the
 * Idempotency-Key required and de-duplicating, the behaviours of http-peer.ts):
 *
 * | system | route | required fields | id field |
 * | --- | --- | --- | --- |
 * | scheduling | `POST /schedules` | userId, department | scheduleId |
 * | payroll | `POST /employees` | userId, payGrade | payrollId |
 * | cost-center assignment | `POST /cost-center-assignments` | userId, costCenter | assignmentId |
 * | credentialing | `POST /credentialing-requests` | userId, role | credentialingId |
 * | ERP approval hierarchy | `POST /approval-assignments` | userId, costCenter | approvalId |
 */
import { startRecordPeer, type RecordPeer, type RecordPeerSpec } from './record-peer.ts';

export type WorkforceSystem = 'scheduling' | 'payroll' | 'costCenter' | 'credentialing' | 'approval';

export const WORKFORCE_SPECS: Record<WorkforceSystem, Omit<RecordPeerSpec, 'port' | 'host'>> = {
  scheduling: {
    name: 'scheduling simulator',
    path: '/schedules',
    idField: 'scheduleId',
    idPrefix: 'SCH',
    required: ['userId', 'department'],
  },
  payroll: { name: 'payroll simulator', path: '/employees', idField: 'payrollId', idPrefix: 'PAY', required: ['userId', 'payGrade'] },
  costCenter: {
    name: 'cost-center assignment simulator',
    path: '/cost-center-assignments',
    idField: 'assignmentId',
    idPrefix: 'CCA',
    required: ['userId', 'costCenter'],
  },
  credentialing: {
    name: 'credentialing simulator',
    path: '/credentialing-requests',
    idField: 'credentialingId',
    idPrefix: 'CRED',
    required: ['userId', 'role'],
  },
  approval: {
    name: 'ERP approval hierarchy simulator',
    path: '/approval-assignments',
    idField: 'approvalId',
    idPrefix: 'APR',
    required: ['userId', 'costCenter'],
  },
};

/** Starts one workforce system's simulator on a free port (or `port`). */
export function startWorkforceSimulator(system: WorkforceSystem, opts: { port?: number; host?: string } = {}): Promise<RecordPeer> {
  return startRecordPeer({ ...WORKFORCE_SPECS[system], ...opts });
}
