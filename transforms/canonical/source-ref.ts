import { Type } from '@sinclair/typebox';
import { str } from './data-class.ts';

/** Where a canonical event came from: ids of the exchange, never content. */
export const SourceRef = Type.Object({
  channelId: str('operational'),
  messageType: str('operational', { description: 'HL7 MSH-9.1^MSH-9.2 or FHIR resource type' }),
  controlId: str('indirect-identifier', { description: 'HL7 MSH-10 or FHIR resource id' }),
  sendingApplication: str('operational'),
  sendingFacility: str('operational'),
});
