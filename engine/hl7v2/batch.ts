import { readDelimiters } from './delimiters.ts';
import { Hl7ParseError } from './errors.ts';
import { notAMessage, skipBlank } from './header.ts';
import { Hl7Segment, type Hl7Message } from './message.ts';
import { messageFromLines, segmentLines, type SegmentLine } from './reader.ts';

export interface Hl7Batch {
  /** FHS and BHS segments when present (BHS-11 is the batch control id). */
  fileHeader?: Hl7Segment;
  batchHeader?: Hl7Segment;
  messages: Hl7Message[];
  /** Inconsistencies that do not stop reading, e.g. a BTS-1 count that does not match. */
  problems: string[];
}

/** Whether the text is a batch (starts with FHS or BHS after blank text). */
export function isBatch(text: string): boolean {
  const start = skipBlank(text);
  return text.startsWith('FHS', start) || text.startsWith('BHS', start);
}

/**
 * Reads an HL7 batch (HL7 v2.5.1 §2.10.3): `[FHS] BHS { MSH … } BTS [FTS]`, or a BHS-only batch,
 * yielding its messages in order. BTS-1 (message count) and FTS-1 (batch count) are checked and a
 * mismatch reported in `problems`. Throws Hl7ParseError when the envelope or a message is malformed.
 */
export function parseBatch(text: string): Hl7Batch {
  const start = skipBlank(text);
  if (!isBatch(text) && !text.startsWith('MSH', start)) notAMessage(text, start);
  const d = readDelimiters(text, start, 1);
  const lines = segmentLines(text, start, d);
  const batch: Hl7Batch = { messages: [], problems: [] };
  let current: SegmentLine[] = [];
  let batches = 0;
  const flush = () => {
    if (current.length > 0) batch.messages.push(messageFromLines(current, d));
    current = [];
  };
  for (const l of lines) {
    const name = l.text.slice(0, 3);
    if (name === 'MSH') {
      flush();
      current.push(l);
    } else if (name === 'FHS' || name === 'BHS') {
      flush();
      if (name === 'FHS') batch.fileHeader = new Hl7Segment(name, l.text, d);
      else (batches++, (batch.batchHeader = new Hl7Segment(name, l.text, d)));
    } else if (name === 'BTS' || name === 'FTS') {
      flush();
      const declared = new Hl7Segment(name, l.text, d).field(1);
      const actual = name === 'BTS' ? batch.messages.length : batches;
      if (declared !== '' && Number(declared) !== actual) {
        batch.problems.push(`${name}-1 declares ${declared} ${name === 'BTS' ? 'messages' : 'batches'} but the batch holds ${actual}`);
      }
    } else if (current.length === 0) {
      throw new Hl7ParseError({ reason: `segment ${name} on line ${l.line} stands outside any message of the batch`, line: l.line, position: l.position, segment: name, hl7ErrorCode: '100' });
    } else {
      current.push(l);
    }
  }
  flush();
  return batch;
}
