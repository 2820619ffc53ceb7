import { isUtf8 } from 'node:buffer';
import iconv from 'iconv-lite';

/**
 * Character sets (HL7 table 0211, MSH-18). Bytes arrive as the sender wrote them; MSH is plain
 * ASCII in every supported charset, so MSH-18 can be read before the rest is decoded.
 *
 * Policy: text is decoded in the charset MSH-18 names (its first repetition), or the channel's
 * default when MSH-18 is empty, strictly: a byte that is not valid in that charset (a broken UTF-8
 * sequence, a byte above 0x7F under ASCII, a byte ISO 8859-7 leaves unassigned) is reported in
 * `invalid`, and intake answers AR; nothing is replaced silently. ISO 8859 charsets are decoded and
 * encoded by iconv-lite (WHATWG decoders read 8859-1 as windows-1252 and 8859-9 as windows-1254,
 * and Node has no 8859 encoders). Writing is in the same charset; see encodeText.
 */
const ENCODINGS: Record<string, string> = {
  '': '',
  ASCII: 'ascii',
  '8859/1': 'iso-8859-1',
  '8859/2': 'iso-8859-2',
  '8859/5': 'iso-8859-5',
  '8859/7': 'iso-8859-7',
  '8859/9': 'iso-8859-9',
  '8859/15': 'iso-8859-15',
  'UNICODE UTF-8': 'utf8',
  // Read as UTF-8 too: 'UTF-8' is not in table 0211 but senders write it; 'UNICODE' names no encoding.
  'UTF-8': 'utf8',
  UNICODE: 'utf8',
};

/** The table 0211 names the engine writes as well as reads (outbound MSH-18). */
export const HL7_CHARSETS = ['ASCII', '8859/1', '8859/2', '8859/5', '8859/7', '8859/9', '8859/15', 'UNICODE UTF-8'] as const;
export type Hl7Charset = (typeof HL7_CHARSETS)[number];

/** The HL7 charset assumed when neither MSH-18 nor the channel names one. */
export const DEFAULT_CHARSET = 'UNICODE UTF-8';

/** The codec's encoding name for an HL7 charset name, or undefined when we do not know it. */
export function encodingOf(charset: string): string | undefined {
  return ENCODINGS[charset.trim().toUpperCase()];
}

/**
 * The charset text is read in: `declared` (MSH-18) when it names a charset we know, else
 * `fallback` (the channel's default, by default UNICODE UTF-8).
 */
export function charsetInEffect(declared: string, fallback = DEFAULT_CHARSET): string {
  return declared !== '' && encodingOf(declared) !== undefined ? declared : fallback;
}

/** Where the first byte not valid in the charset is, and why, in words for MSA-3 and ERR-8 (no content quoted). */
export interface InvalidBytes {
  /** Byte offset in the frame. */
  offset: number;
  /** Segment line (1-based, blank lines not counted, as the reader counts them). */
  line: number;
  /** Name of the segment holding the byte ('' when the line does not start with one). */
  segment: string;
  reason: string;
}

export interface DecodedText {
  /** The text; where bytes were invalid it holds U+FFFD (for display and to read the header only). */
  text: string;
  /** The HL7 charset used (see charsetInEffect; a UTF-8 byte order mark means UNICODE UTF-8). */
  charset: string;
  /** What MSH-18 named when it was not understood (the fallback was used). */
  unknownCharset?: string;
  /** Set when the bytes are not valid in `charset`: the message must be refused (intake: AR). */
  invalid?: InvalidBytes;
}

/**
 * Bytes to text per MSH-18 (first repetition), or `defaultCharset` when MSH-18 is empty or unknown
 * (default UNICODE UTF-8). A UTF-8 byte order mark means UTF-8. Never throws: `charset` says what
 * was used, `unknownCharset` what MSH-18 named when it was not understood, and `invalid` where the
 * first byte not valid in that charset is. Called by intake for every frame, and to show stored
 * messages (which intake has already checked).
 */
export function decodeBytes(bytes: Uint8Array, opts: { defaultCharset?: string } = {}): DecodedText {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fallback = opts.defaultCharset ?? DEFAULT_CHARSET;
  const bom = buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf;
  const declared = bom ? '' : msh18(buf);
  const charset = bom ? DEFAULT_CHARSET : charsetInEffect(declared, fallback);
  const body = bom ? buf.subarray(3) : buf;
  const { text, badAt } = decodeChecked(body, encodingOf(charset) || 'utf8');
  const source = bom
    ? 'byte order mark'
    : declared === charset
      ? 'MSH-18'
      : `the channel default, MSH-18 ${declared === '' ? 'being empty' : 'unknown'}`;
  const result: DecodedText = { text, charset };
  if (!bom && declared !== '' && encodingOf(declared) === undefined) result.unknownCharset = declared;
  if (badAt !== undefined) result.invalid = invalidAt(text, badAt.index, badAt.offset + (bom ? 3 : 0), `${charset} (${source})`);
  return result;
}

/**
 * Text to bytes in an HL7 charset (ACKs go back in the sender's charset; unknown names write UTF-8).
 * A character the charset cannot hold is written as `?`: text read from a message in this charset
 * always fits, so only the engine's own words (an ACK's reason) could meet this.
 */
export function encodeText(text: string, charset: string): Uint8Array {
  const encoding = encodingOf(charset) || 'utf8';
  return encoding === 'utf8' ? Buffer.from(text, 'utf8') : iconv.encode(text, encoding);
}

/**
 * Index of the first character of `text` that `charset` cannot hold (encodeText would write `?`),
 * or -1 when all fit. For outbound messages, whose data must not change on the way out.
 */
export function unencodableAt(text: string, charset: string): number {
  const encoding = encodingOf(charset) || 'utf8';
  if (encoding === 'utf8') return -1;
  const back = iconv.decode(iconv.encode(text, encoding), encoding);
  if (back === text) return -1;
  let i = 0;
  while (back[i] === text[i]) i++;
  return i;
}

/**
 * The text that hex data (`\Xhh…\`, §2.7.4) names in `charset`, or undefined when the bytes are
 * not valid there (the escape is then kept as written, never replaced).
 */
export function decodeHex(hex: string, charset: string): string | undefined {
  const bytes = Buffer.from(hex, 'hex');
  const { text, badAt } = decodeChecked(bytes, encodingOf(charset) || 'utf8');
  return badAt === undefined ? text : undefined;
}

/** Decodes `buf`; `badAt` names the first invalid byte (its text index and byte offset). */
function decodeChecked(buf: Buffer, encoding: string): { text: string; badAt?: { index: number; offset: number } } {
  if (encoding === 'utf8') {
    const text = buf.toString('utf8');
    // U+FFFD in the text is a replaced sequence, or a genuine U+FFFD (ef bf bd): look closer only then.
    if (!text.includes('\ufffd') || isUtf8(buf)) return { text };
    // The byte offset is carried from one U+FFFD to the next (linear: a frame full of genuine
    // U+FFFD must not cost the square of its length on the event loop).
    let offset = 0;
    let from = 0;
    for (let index = text.indexOf('\ufffd'); index !== -1; index = text.indexOf('\ufffd', index + 1)) {
      offset += Buffer.byteLength(text.slice(from, index), 'utf8');
      from = index;
      if (!(buf[offset] === 0xef && buf[offset + 1] === 0xbf && buf[offset + 2] === 0xbd)) return { text, badAt: { index, offset } };
    }
    return { text };
  }
  // Single-byte charsets: one character per byte, and U+FFFD only for a byte the charset leaves unassigned.
  const text = iconv.decode(buf, encoding);
  const index = text.indexOf('\ufffd');
  return index === -1 ? { text } : { text, badAt: { index, offset: index } };
}

function invalidAt(text: string, index: number, offset: number, charset: string): InvalidBytes {
  const lines = text.slice(0, index).split(/\r\n|\r|\n/);
  const current = lines.pop()!;
  const line = lines.filter((l) => l.trim() !== '').length + 1;
  const segment = /^[A-Z0-9]{3}/.exec(current.trimStart())?.[0] ?? '';
  const where = `offset ${offset}, line ${line}${segment ? `, segment ${segment}` : ''}`;
  return { offset, line, segment, reason: `the message bytes are not valid ${charset}: first invalid byte at ${where}` };
}

/**
 * The bytes of a frame up to the end of its first segment (leading blank lines and a BOM kept, the
 * terminator not): all that decodeBytes and readHeader need of a message, without decoding the rest
 * (up to 1 MB). A view of `bytes`, not a copy. Used by ACK-only intake.
 */
export function firstSegmentBytes(bytes: Uint8Array): Uint8Array {
  return bytes.subarray(0, firstSegment(bytes).end);
}

/** Where the first segment starts (after blank lines) and ends (before its terminator). */
function firstSegment(bytes: Uint8Array): { start: number; end: number } {
  let start = 0;
  while (start < bytes.length && (bytes[start] === 0x20 || bytes[start] === 0x0d || bytes[start] === 0x0a || bytes[start] === 0x09))
    start++;
  let end = start;
  while (end < bytes.length && bytes[end] !== 0x0d && bytes[end] !== 0x0a) end++;
  return { start, end };
}

/** MSH-18 read from the raw bytes of the first segment, '' when absent. */
function msh18(buf: Buffer): string {
  const { start, end } = firstSegment(buf);
  if (buf[start] !== 0x4d || buf[start + 1] !== 0x53 || buf[start + 2] !== 0x48) return '';
  const msh = buf.toString('latin1', start, end);
  const fieldSep = msh[3];
  const enc = msh.slice(4, 8);
  if (!fieldSep || enc.length < 2) return '';
  const value = msh.split(fieldSep)[17] ?? '';
  return value.split(enc[1]!)[0]!.split(enc[0]!)[0]!;
}
