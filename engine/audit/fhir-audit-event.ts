import type { AuditEvent, Bundle } from '@medplum/fhirtypes';
import { AuditAction, type AuditEntry } from './audit-log.ts';

/** FHIR R4 AuditEvent.action (C, R, U, D, E) of each of our actions; https://hl7.org/fhir/R4/valueset-audit-event-action.html */
const ACTION_CODE: Record<AuditAction, AuditEvent['action']> = {
  'auth.login': 'E',
  'auth.login-failed': 'E',
  'auth.logout': 'E',
  'auth.setup': 'C',
  'token.create': 'C',
  'token.revoke': 'D',
  'user.create': 'C',
  'user.update': 'U',
  'user.delete': 'D',
  'config.change': 'U',
  'message.view': 'R',
  'message.search': 'E',
  'message.reroute': 'E',
  'message.resend': 'C',
  replay: 'E',
  'flow.retry': 'E',
  'flow.skip': 'U',
  'flow.abort': 'E',
  'audit.export': 'R',
  'access.denied': 'E',
  'retention.run': 'D',
  'archive.restore': 'C',
  'audit.prune': 'D',
};

const AUTH = new Set<string>([AuditAction.login, AuditAction.loginFailed, AuditAction.logout, AuditAction.setup]);

/**
 * One audit entry as a FHIR R4 AuditEvent (https://hl7.org/fhir/R4/auditevent.html): type DICOM
 * 110114 "User Authentication" for sign-ins, else the RESTful-operation type; our action as subtype;
 * outcome 0 (success), 4 (denied: minor failure) or 8 (failure); the chain position and hash as
 * extensions-free identifiers in `entity.detail`, so an export can be checked against the store.
 */
export function toAuditEvent(e: AuditEntry): AuditEvent {
  return {
    resourceType: 'AuditEvent',
    id: e._id,
    type: AUTH.has(e.action)
      ? { system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110114', display: 'User Authentication' }
      : { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest', display: 'RESTful Operation' },
    subtype: [{ system: 'https://switchboard.dev/fhir/CodeSystem/audit-action', code: e.action }],
    action: ACTION_CODE[e.action],
    recorded: e.at.toISOString(),
    outcome: e.outcome === 'success' ? '0' : e.outcome === 'denied' ? '4' : '8',
    agent: [{ who: { display: e.actor }, requestor: true, ...(e.sourceIp ? { network: { address: e.sourceIp, type: '2' } } : {}) }],
    source: { observer: { display: 'Switchboard' } },
    entity: [
      {
        ...(e.target ? { what: { identifier: { value: e.target } } } : {}),
        detail: [
          { type: 'seq', valueString: String(e.seq) },
          { type: 'prevHash', valueString: e.prevHash },
          { type: 'hash', valueString: e.hash },
          ...(e.details ? [{ type: 'details', valueString: JSON.stringify(e.details) }] : []),
        ],
      },
    ],
  };
}

export function toAuditBundle(entries: readonly AuditEntry[]): Bundle<AuditEvent> {
  return { resourceType: 'Bundle', type: 'collection', total: entries.length, entry: entries.map((e) => ({ resource: toAuditEvent(e) })) };
}
