import { readDelimiters, type Delimiters } from './delimiters.ts';
import { Hl7ParseError } from './errors.ts';
import { headerOf, mshCharset, notAMessage, skipBlank } from './header.ts';
import { Hl7Message, Hl7Segment } from './message.ts';

const BATCH_SEGMENTS = new Set(['FHS', 'BHS', 'BTS', 'FTS']);

/** One line of segment text with where it stood, for error messages. */
export interface SegmentLine {
  text: string;
  line: number;
  position: number;
}

/**
 * Splits text into segment lines, accepting CR, LF and CRLF terminators and skipping blank lines
 * (leading and trailing blank text included). Checks each segment name: three upper-case letters
 * or digits followed by the field separator or the end of the segment.
 */
export function segmentLines(text: string, from: number, d: Delimiters): SegmentLine[] {
  const lines: SegmentLine[] = [];
  let pos = from;
  let line = 0;
  while (pos < text.length) {
    let end = pos;
    while (end < text.length && text.charCodeAt(end) !== 0x0d && text.charCodeAt(end) !== 0x0a) end++;
    const seg = text.slice(pos, end);
    if (seg.trim() !== '') {
      line++;
      const name = seg.slice(0, 3);
      if (!isSegmentName(name) || (seg.length > 3 && seg[3] !== d.field)) {
        throw new Hl7ParseError({
          reason:
            `segment name '${printable(seg.slice(0, 3))}' on line ${line} ` +
            `is not three upper-case letters or digits followed by '${d.field}'`,
          line,
          position: pos,
          hl7ErrorCode: '100',
        });
      }
      lines.push({ text: seg, line, position: pos });
    }
    pos = end + (text.charCodeAt(end) === 0x0d && text.charCodeAt(end + 1) === 0x0a ? 2 : 1);
  }
  return lines;
}

function isSegmentName(name: string): boolean {
  if (name.length !== 3) return false;
  for (let i = 0; i < 3; i++) {
    const c = name.charCodeAt(i);
    if (!((c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39))) return false;
  }
  return true;
}

const printable = (s: string) => s.replace(/[^\x20-\x7e]/g, '?');

/**
 * Parses one HL7v2 message (text already decoded from bytes, see decodeBytes; pass its `charset`,
 * in which hex escapes are decoded: default MSH-18, else UNICODE UTF-8). Lenient on
 * terminators and surrounding blank text; strict on what makes a message identifiable: it must
 * start with MSH, declare usable delimiters, carry MSH-9 and MSH-10, and every segment name must be
 * well formed. Batch envelopes (FHS/BHS/BTS/FTS) and a second MSH are refused: use parseBatch.
 * Throws only Hl7ParseError.
 */
export function parseMessage(text: string, opts: { charset?: string } = {}): Hl7Message {
  const start = skipBlank(text);
  if (!text.startsWith('MSH', start)) notAMessage(text, start);
  const d = readDelimiters(text, start, 1);
  return messageFromLines(segmentLines(text, start, d), d, opts.charset);
}

/**
 * Builds a message from its segment lines (used by parseMessage and parseBatch); hex escapes decode
 * in `charset`, by default the one its MSH-18 names.
 */
export function messageFromLines(lines: SegmentLine[], d: Delimiters, charset?: string): Hl7Message {
  const inEffect = charset ?? mshCharset(lines[0]!.text, d);
  const segments = lines.map((l, i) => {
    const name = l.text.slice(0, 3);
    if (i > 0 && (name === 'MSH' || BATCH_SEGMENTS.has(name))) {
      throw new Hl7ParseError({
        reason: `${name} on line ${l.line} inside a message: a batch must be read with parseBatch`,
        line: l.line,
        position: l.position,
        segment: name,
        hl7ErrorCode: '100',
      });
    }
    return new Hl7Segment(name, l.text, d, inEffect);
  });
  return new Hl7Message(headerOf(segments[0]!, d, lines[0]!.position), d, segments, inEffect);
}
