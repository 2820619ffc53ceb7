import { DEFAULT_CHARSET } from './charset.ts';
import { readDelimiters } from './delimiters.ts';
import { Hl7ParseError } from './errors.ts';
import { notAMessage, skipBlank } from './header.ts';
import { Hl7Segment, type Hl7Message } from './message.ts';
import { parsePath } from './path.ts';
import { messageFromLines, segmentLines, type SegmentLine } from './reader.ts';

export interface Hl7Batch {
  /** FHS and BHS segments when present (BHS-11 is the batch control id; the last batch's in a file of several). */
  fileHeader?: Hl7Segment;
  batchHeader?: Hl7Segment;
  /** BTS and FTS segments when present (BTS-1 is the message count, FTS-1 the batch count). */
  batchTrailer?: Hl7Segment;
  fileTrailer?: Hl7Segment;
  messages: Hl7Message[];
  /** Inconsistencies that do not stop reading, e.g. a BTS-1 count that does not match. */
  problems: string[];
  /**
   * Decoded value of the envelope (FHS, BHS, BTS, FTS) at a corpus path such as `BHS-11` or
   * `BTS-1` (`BTS(2)-1`: the second batch of a file), '' when absent; the messages' own segments
   * are read from `messages`.
   */
  get(path: string): string;
}

/** Whether the text is a batch (starts with FHS or BHS after blank text). */
export function isBatch(text: string): boolean {
  const start = skipBlank(text);
  return text.startsWith('FHS', start) || text.startsWith('BHS', start);
}

/**
 * Reads an HL7 batch (HL7 v2.5.1 §2.10.3): `[FHS] BHS { MSH … } BTS [FTS]`, or a BHS-only batch,
 * yielding its messages in order. BTS-1 (message count) and FTS-1 (batch count) are checked and a
 * mismatch reported in `problems`. `charset` is the one the text was decoded in (decodeBytes), for
 * hex escapes: default each message's MSH-18, and UNICODE UTF-8 for the envelope.
 * Throws Hl7ParseError when the envelope or a message is malformed.
 */
export function parseBatch(text: string, opts: { charset?: string } = {}): Hl7Batch {
  const start = skipBlank(text);
  if (!isBatch(text) && !text.startsWith('MSH', start)) notAMessage(text, start);
  const d = readDelimiters(text, start, 1);
  const lines = segmentLines(text, start, d);
  const envelope = new Map<string, Hl7Segment[]>();
  const batch: Hl7Batch = { messages: [], problems: [], get: (path) => envelopeValue(envelope, path) };
  let current: SegmentLine[] = [];
  let batches = 0;
  const flush = () => {
    if (current.length > 0) batch.messages.push(messageFromLines(current, d, opts.charset));
    current = [];
  };
  const segment = (name: string, l: SegmentLine) => {
    const s = new Hl7Segment(name, l.text, d, opts.charset ?? DEFAULT_CHARSET);
    envelope.set(name, [...(envelope.get(name) ?? []), s]);
    return s;
  };
  for (const l of lines) {
    const name = l.text.slice(0, 3);
    if (name === 'MSH') {
      flush();
      current.push(l);
    } else if (name === 'FHS' || name === 'BHS') {
      flush();
      if (name === 'FHS') batch.fileHeader = segment(name, l);
      else (batches++, (batch.batchHeader = segment(name, l)));
    } else if (name === 'BTS' || name === 'FTS') {
      flush();
      const trailer = segment(name, l);
      if (name === 'BTS') batch.batchTrailer = trailer;
      else batch.fileTrailer = trailer;
      const declared = trailer.field(1);
      const actual = name === 'BTS' ? batch.messages.length : batches;
      if (declared !== '' && Number(declared) !== actual) {
        batch.problems.push(`${name}-1 declares ${declared} ${name === 'BTS' ? 'messages' : 'batches'} but the batch holds ${actual}`);
      }
    } else if (current.length === 0) {
      throw new Hl7ParseError({
        reason: `segment ${name} on line ${l.line} stands outside any message of the batch`,
        line: l.line,
        position: l.position,
        segment: name,
        hl7ErrorCode: '100',
      });
    } else {
      current.push(l);
    }
  }
  flush();
  return batch;
}

/** An envelope segment's value at `path` (`BHS(2)-11`: the second batch of a file). */
function envelopeValue(envelope: ReadonlyMap<string, Hl7Segment[]>, path: string): string {
  const p = parsePath(path);
  return envelope.get(p.segment)?.[p.occurrence - 1]?.get(p) ?? '';
}
