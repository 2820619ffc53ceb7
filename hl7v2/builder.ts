import { DEFAULT_DELIMITERS, type Delimiters } from './delimiters.ts';
import { escapeValue } from './escape.ts';
import type { Hl7Message } from './message.ts';
import { parseMessage } from './reader.ts';

export interface NewMessageOptions {
  messageType: string;
  triggerEvent: string;
  messageStructure?: string;
  controlId: string;
  sendingApplication?: string;
  sendingFacility?: string;
  receivingApplication?: string;
  receivingFacility?: string;
  /** Default 2.5.1. */
  version?: string;
  /** Default P (production). */
  processingId?: string;
  delimiters?: Omit<Delimiters, 'segment'>;
  /** MSH-18 (HL7 table 0211), the charset the message will be written in (encodeText); default empty, read as UNICODE UTF-8. */
  charset?: string;
  now?: Date;
}

/**
 * Starts a new message with its MSH filled in; add segments with `addSegment` and values with `set`
 * (escaped on write), then `encode()`. Used for outbound messages and replays.
 */
export function createMessage(o: NewMessageOptions): Hl7Message {
  const d: Delimiters = { ...DEFAULT_DELIMITERS, ...o.delimiters, segment: '\r' };
  const e = (v: string | undefined) => escapeValue(v ?? '', d);
  const type = [o.messageType, o.triggerEvent, ...(o.messageStructure ? [o.messageStructure] : [])].map(e).join(d.component);
  const now = o.now ?? new Date();
  const ts = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const enc = `${d.component}${d.repetition}${d.escape}${d.subcomponent}${d.truncation ?? ''}`;
  const msh = [
    'MSH',
    enc,
    e(o.sendingApplication),
    e(o.sendingFacility),
    e(o.receivingApplication),
    e(o.receivingFacility),
    ts,
    '',
    type,
    e(o.controlId),
    e(o.processingId ?? 'P'),
    e(o.version ?? '2.5.1'),
  ];
  if (o.charset) msh.push('', '', '', '', '', e(o.charset));
  return parseMessage(`${msh.join(d.field)}\r`);
}
