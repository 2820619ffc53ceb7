/**
 * Switchboard's HL7v2 codec: reading (full and header-only), batches, charsets, escaping, ACKs.
 * The reader throws only Hl7ParseError. Paths use the corpus notation `SEG(n)-f[r].c.s`.
 */
export { Hl7ParseError } from './errors.ts';
export { DEFAULT_DELIMITERS, type Delimiters } from './delimiters.ts';
export { readHeader } from './header.ts';
export { parseMessage } from './reader.ts';
export { createMessage, type NewMessageOptions } from './builder.ts';
export { Hl7Message, Hl7Segment, type Hl7Header } from './message.ts';
export { parseBatch, isBatch, type Hl7Batch } from './batch.ts';
export {
  charsetInEffect,
  decodeBytes,
  DEFAULT_CHARSET,
  encodeText,
  firstSegmentBytes,
  HL7_CHARSETS,
  unencodableAt,
  type DecodedText,
  type Hl7Charset,
  type InvalidBytes,
} from './charset.ts';
export { escapeValue, unescapeValue } from './escape.ts';
export { buildAck, buildBatchAck, type AckCode, type AckOptions } from './ack.ts';
export { parsePath, type Hl7Path } from './path.ts';
