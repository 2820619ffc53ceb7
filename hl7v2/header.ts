import { charsetInEffect } from './charset.ts';
import { readDelimiters, type Delimiters } from './delimiters.ts';
import { Hl7ParseError } from './errors.ts';
import { Hl7Segment, type Hl7Header } from './message.ts';

/** Index of the first character after a UTF-8 BOM and leading blank text (spaces, tabs, CR, LF). */
export function skipBlank(text: string): number {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0a) break;
    i++;
  }
  return i;
}

/** Throws the reader's error for input that does not start with MSH. */
export function notAMessage(text: string, start: number): never {
  if (start >= text.length) throw new Hl7ParseError({ reason: 'the message is empty', line: 0, position: 0 });
  const name = text.slice(start, start + 3);
  const reason = /^[A-Z0-9]{3}$/.test(name)
    ? `the message must start with an MSH segment, but starts with ${name}`
    : 'the message must start with an MSH segment, but starts with bytes that are not HL7v2 text';
  throw new Hl7ParseError({ reason, line: 1, position: start, ...(/^[A-Z0-9]{3}$/.test(name) ? { segment: name } : {}) });
}

/**
 * Header-only read for the ACK and routing path: reads MSH and nothing after it. `charset` is the
 * one the text was decoded in (decodeBytes), for hex escapes; default MSH-18, else UNICODE UTF-8.
 * Throws Hl7ParseError when there is no MSH, its delimiters are unusable, or MSH-9.1 or MSH-10 is empty.
 */
export function readHeader(text: string, opts: { charset?: string } = {}): Hl7Header {
  const start = skipBlank(text);
  if (!text.startsWith('MSH', start)) notAMessage(text, start);
  const d = readDelimiters(text, start, 1);
  let end = start;
  while (end < text.length && text[end] !== '\r' && text[end] !== '\n') end++;
  const msh = text.slice(start, end);
  return headerOf(new Hl7Segment('MSH', msh, d, opts.charset ?? mshCharset(msh, d)), d, start);
}

/** The charset MSH-18 of an MSH segment's text names (first repetition), or UNICODE UTF-8 when empty or unknown. */
export function mshCharset(msh: string, d: Delimiters): string {
  return charsetInEffect(new Hl7Segment('MSH', msh, d).rawAt({ field: 18, repetition: 1, component: 1, subcomponent: undefined }));
}

/** The header of an MSH segment; checks that the message can be routed and acknowledged. */
export function headerOf(msh: Hl7Segment, d: Delimiters, position = 0): Hl7Header {
  const v = (field: number, component?: number) => msh.get({ field, repetition: 1, component: component ?? 1, subcomponent: undefined });
  const header: Hl7Header = {
    delimiters: d,
    sendingApplication: v(3),
    sendingFacility: v(4),
    receivingApplication: v(5),
    receivingFacility: v(6),
    timestamp: v(7),
    messageType: v(9, 1),
    triggerEvent: v(9, 2),
    messageStructure: v(9, 3),
    controlId: v(10),
    processingId: v(11),
    version: v(12),
    acceptAckType: v(15),
    applicationAckType: v(16),
    charset: v(18),
  };
  if (header.messageType === '') {
    throw new Hl7ParseError({ reason: 'MSH-9 (message type) is empty', line: 1, position, segment: 'MSH', hl7ErrorCode: '101' });
  }
  if (header.controlId === '') {
    throw new Hl7ParseError({
      reason: 'MSH-10 (message control id) is empty, so the message cannot be acknowledged or de-duplicated',
      line: 1,
      position,
      segment: 'MSH',
      hl7ErrorCode: '101',
    });
  }
  return header;
}
