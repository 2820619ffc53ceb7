import type { Hl7Header, Hl7Message } from '../hl7v2/index.ts';
import { medicalRecordNumber } from './hl7-patient.ts';
import type { MessageSummary } from './store/message-record.ts';

/** The summary intake stores of a message it could read only the header of (rejected): no MRN. */
export function summariseHeader(h: Hl7Header): MessageSummary {
  return {
    messageType: h.messageType,
    triggerEvent: h.triggerEvent,
    controlId: h.controlId,
    sendingApplication: h.sendingApplication,
    sendingFacility: h.sendingFacility,
    mrn: '',
  };
}

/** The summary intake stores of a parsed message, for search and routing without re-parsing. */
export function summariseMessage(message: Hl7Message): MessageSummary {
  return { ...summariseHeader(message.header), mrn: medicalRecordNumber(message) };
}
