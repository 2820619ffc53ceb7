import type { DeliveryPayload } from '../../engine/connector.ts';
import { SwitchboardError } from '../../engine/errors.ts';
import { createMessage } from '../../hl7v2/index.ts';

/** EncounterEvent.eventType → ADT trigger (HL7 table 0003). */
const ADT_TRIGGERS: Record<string, string> = {
  admit: 'A01',
  register: 'A04',
  update: 'A08',
  transfer: 'A02',
  discharge: 'A03',
  cancel: 'A11',
  merge: 'A40',
};

/** ISO 8601 to HL7 DTM (`2026-03-20T12:00:00-05:00` → `20260320120000-0500`). */
export function hl7DateTime(iso: unknown): string {
  if (typeof iso !== 'string') return '';
  const m = /^(\d{4})-?(\d{2})?-?(\d{2})?(?:T(\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(iso);
  if (!m) return '';
  const [, y, mo = '', d = '', h = '', mi = '', s = '', tz = ''] = m;
  const offset = tz === 'Z' ? '+0000' : tz.replace(':', '');
  return `${y}${mo}${d}${h}${mi}${h ? s || '00' : ''}${h ? offset : ''}`;
}

const str = (v: unknown) => (v === undefined || v === null ? '' : String(v));
const get = (event: Record<string, unknown>, dotted: string) =>
  dotted.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), event);

/**
 * The HL7v2 message an `mllp-out` destination sends for one canonical event (v2.5.1):
 * ChargeEvent → DFT^P03 with one FT1; EncounterEvent → ADT by event type. Only what the
 * destination's data policy left in the event is written (PID-3 only when the MRN is there).
 * With `charset`, MSH-18 names it (the destination writes the bytes in it).
 * Another model is a permanent failure (CANONICAL_INVALID).
 */
export function toHl7(
  payload: DeliveryPayload,
  o: {
    controlId: string;
    sendingApplication: string;
    sendingFacility: string;
    receivingApplication: string;
    receivingFacility: string;
    charset?: string;
  },
): string {
  const e = payload.event;
  const header = {
    controlId: o.controlId,
    sendingApplication: o.sendingApplication,
    sendingFacility: o.sendingFacility,
    receivingApplication: o.receivingApplication,
    receivingFacility: o.receivingFacility,
    ...(o.charset ? { charset: o.charset } : {}),
  };
  const occurred = hl7DateTime(get(e, 'occurredAt') ?? get(e, 'serviceDate'));
  switch (payload.model) {
    case 'ChargeEvent': {
      const m = createMessage({ ...header, messageType: 'DFT', triggerEvent: 'P03', messageStructure: 'DFT_P03' });
      m.addSegment('EVN');
      m.set('EVN-1', 'P03').set('EVN-2', occurred);
      m.addSegment('PID');
      if (get(e, 'patient.mrn')) m.set('PID-3.1', str(get(e, 'patient.mrn'))).set('PID-3.5', 'MR');
      m.addSegment('PV1');
      m.set('PV1-2', str(get(e, 'encounter.patientClass')) || 'U').set('PV1-19', str(get(e, 'encounter.visitNumber')));
      m.addSegment('FT1');
      m.set('FT1-1', str(get(e, 'lineNumber')) || '1')
        .set('FT1-4', occurred)
        .set('FT1-6', str(get(e, 'transactionType')));
      m.set('FT1-7.1', str(get(e, 'code')))
        .set('FT1-7.2', str(get(e, 'description')))
        .set('FT1-7.3', str(get(e, 'codeSystem')));
      m.set('FT1-10', str(get(e, 'quantity')))
        .set('FT1-11.1', str(get(e, 'amount.value')))
        .set('FT1-11.2', str(get(e, 'amount.currency')));
      m.set('FT1-13.1', str(get(e, 'department'))).set('FT1-20.1', str(get(e, 'performerId')));
      return m.encode();
    }
    case 'EncounterEvent': {
      const trigger = ADT_TRIGGERS[str(get(e, 'eventType'))] ?? 'A08';
      const m = createMessage({ ...header, messageType: 'ADT', triggerEvent: trigger });
      m.addSegment('EVN');
      m.set('EVN-1', trigger).set('EVN-2', occurred);
      m.addSegment('PID');
      if (get(e, 'patient.mrn')) m.set('PID-3.1', str(get(e, 'patient.mrn'))).set('PID-3.5', 'MR');
      m.addSegment('PV1');
      m.set('PV1-2', str(get(e, 'encounter.patientClass')) || 'U').set('PV1-19', str(get(e, 'encounter.visitNumber')));
      return m.encode();
    }
    default:
      throw new SwitchboardError('CANONICAL_INVALID', `no outbound HL7v2 mapping for ${payload.model}`);
  }
}
