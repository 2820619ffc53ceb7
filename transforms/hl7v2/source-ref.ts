import type { Hl7Message } from '../../engine/hl7v2/index.ts';
import type { TransformContext } from '../transform.ts';

/** The SourceRef of a canonical event made from an HL7v2 message. */
export function hl7SourceRef(message: Hl7Message, ctx: TransformContext) {
  const h = message.header;
  return {
    channelId: ctx.channelId,
    messageType: `${h.messageType}^${h.triggerEvent}`,
    controlId: h.controlId,
    sendingApplication: h.sendingApplication,
    sendingFacility: h.sendingFacility,
  };
}
