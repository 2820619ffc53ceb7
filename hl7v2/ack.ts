import { DEFAULT_DELIMITERS, type Delimiters } from './delimiters.ts';
import { escapeValue } from './escape.ts';
import type { Hl7Header } from './message.ts';
import type { Hl7Batch } from './batch.ts';
import type { Hl7Segment } from './message.ts';

export type AckCode = 'AA' | 'AE' | 'AR' | 'CA' | 'CE' | 'CR';

export interface AckOptions {
  /** The original message's header; absent when it could not be read (MSA-2 is then empty). */
  header?: Hl7Header;
  code: AckCode;
  /** MSH-10 of the ACK itself. */
  controlId: string;
  /** MSA-3 and ERR-8: the reason, in words the sender's analysts understand. */
  text?: string;
  /** ERR-3.1, HL7 table 0357 (default 207, application internal error). */
  hl7ErrorCode?: string;
  now?: Date;
}

/**
 * Builds an original-mode acknowledgement (HL7 v2.5.1 §2.9.2; MSA and ERR segments, ch. 2.15):
 * sender and receiver swapped, MSH-9 `ACK^<trigger>^ACK`, the original processing id, version and
 * charset, MSA-2 = the original MSH-10; on AE/AR/CE/CR an ERR segment with the reason. Uses the
 * original delimiters when known. Returns CR-terminated text, without MLLP framing.
 */
export function buildAck(o: AckOptions): string {
  const h = o.header;
  const d: Delimiters = h?.delimiters ?? DEFAULT_DELIMITERS;
  const e = (s: string) => escapeValue(s, d);
  const enc = `${d.component}${d.repetition}${d.escape}${d.subcomponent}${d.truncation ?? ''}`;
  const msh = [
    'MSH',
    enc,
    e(h?.receivingApplication ?? ''),
    e(h?.receivingFacility ?? ''),
    e(h?.sendingApplication ?? ''),
    e(h?.sendingFacility ?? ''),
    timestamp(o.now ?? new Date()),
    '',
    `ACK${d.component}${e(h?.triggerEvent ?? '')}${d.component}ACK`,
    e(o.controlId),
    e(h?.processingId || 'P'),
    e(h?.version || '2.5.1'),
  ];
  if (h?.charset) msh.push('', '', '', '', '', e(h.charset));
  const segments = [msh.join(d.field), ['MSA', o.code, e(h?.controlId ?? ''), ...(o.text ? [e(o.text)] : [])].join(d.field)];
  if (o.code !== 'AA' && o.code !== 'CA') {
    const text = e(o.text ?? 'error');
    const code = `${o.hl7ErrorCode ?? '207'}${d.component}${text}${d.component}HL70357`;
    segments.push(['ERR', '', '', code, 'E', '', '', '', text].join(d.field));
  }
  return `${segments.join('\r')}\r`;
}

function timestamp(now: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const date = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}`;
  return `${date}${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}+0000`;
}

/**
 * The answer to a batch (HL7 v2.5.1 §2.10.3): `[FHS] BHS {ACK} BTS [FTS]`, BHS-11 a new batch id and
 * BHS-12 the original's, BTS-1 the number of ACKs, each ACK as built by buildAck.
 */
export function buildBatchAck(o: { batch: Hl7Batch; acks: string[]; controlId: string; now?: Date }): string {
  const head = o.batch.batchHeader ?? o.batch.fileHeader;
  const d = o.batch.messages[0]?.delimiters ?? DEFAULT_DELIMITERS;
  const enc = `${d.component}${d.repetition}${d.escape}${d.subcomponent}${d.truncation ?? ''}`;
  const envelope = (name: string, original: Hl7Segment | undefined) =>
    [
      name,
      enc,
      original?.field(5) ?? '',
      original?.field(6) ?? '',
      original?.field(3) ?? '',
      original?.field(4) ?? '',
      timestamp(o.now ?? new Date()),
      '',
      '',
      '',
      o.controlId,
      original?.field(11) ?? '',
    ].join(d.field);
  const out = [];
  if (o.batch.fileHeader) out.push(envelope('FHS', o.batch.fileHeader));
  out.push(envelope('BHS', head));
  for (const ack of o.acks) out.push(ack.replace(/\r$/, ''));
  out.push(['BTS', String(o.acks.length)].join(d.field));
  if (o.batch.fileHeader) out.push(['FTS', '1'].join(d.field));
  return `${out.join('\r')}\r`;
}
