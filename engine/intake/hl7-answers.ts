import { buildAck, encodeText, type AckCode, type Hl7Header } from '../../hl7v2/index.ts';
import type { ChannelDefinition } from '../channel.ts';

/** What intake answers one MLLP frame with. */
export interface IntakeResult {
  /** The ACK to send, encoded in the sender's charset. */
  ack: Uint8Array;
  code: AckCode;
  messageId?: string;
  duplicate?: boolean;
}

/** The outcome of one message, before encoding (a batch joins several). */
export interface OneResult {
  ackText: string;
  code: AckCode;
  messageId?: string;
  duplicate?: boolean;
}

/** An ACK with `code`, naming the message when its header was read, and the reason in MSA-3 and ERR. */
export function answer(header: Hl7Header | undefined, code: AckCode, e: { text: string; hl7ErrorCode: string }): OneResult {
  return {
    ackText: buildAck({ ...(header ? { header } : {}), code, controlId: ackControlId(), text: e.text, hl7ErrorCode: e.hl7ErrorCode }),
    code,
  };
}

/** Why a message of this type gets AR on this channel (ERR and the stored error). */
export function notAccepted(channel: ChannelDefinition, header: Hl7Header): string {
  return `message type ${header.messageType}^${header.triggerEvent} is not accepted by channel ${channel.id}`;
}

/** A batch's code from its messages' codes: AR if any was refused, else AE if any errored, else AA. */
export function worstAck(codes: readonly AckCode[]): AckCode {
  return codes.includes('AR') ? 'AR' : codes.includes('AE') ? 'AE' : 'AA';
}

export function encoded({ ackText, ...result }: OneResult, charset: string): IntakeResult {
  return { ...result, ack: encodeText(ackText, charset) };
}

let ackCounter = 0;
/** ACK control ids (MSH-10, at most 20 characters in v2.5): time and a counter, unique per process. */
export function ackControlId(): string {
  ackCounter = (ackCounter + 1) % 1_679_616;
  return `A${Date.now().toString(36).toUpperCase()}${ackCounter.toString(36).toUpperCase().padStart(4, '0')}`;
}
