/**
 * Character sets (HL7 table 0211, MSH-18). Bytes arrive as the sender wrote them; MSH is plain
 * ASCII in every supported charset, so MSH-18 can be read before the rest is decoded.
 */
const ENCODINGS: Record<string, BufferEncoding | string> = {
  '': '',
  ASCII: 'latin1',
  '8859/1': 'latin1',
  '8859/2': 'iso-8859-2',
  '8859/5': 'iso-8859-5',
  '8859/7': 'iso-8859-7',
  '8859/9': 'iso-8859-9',
  '8859/15': 'iso-8859-15',
  'UNICODE UTF-8': 'utf8',
  'UTF-8': 'utf8',
  UNICODE: 'utf8',
};

/** The Node/WHATWG encoding for an HL7 charset name, or undefined when we do not know it. */
export function encodingOf(charset: string): string | undefined {
  return ENCODINGS[charset.trim().toUpperCase()];
}

/**
 * Bytes to text per MSH-18 (first repetition), or `defaultCharset` when MSH-18 is empty or unknown
 * (default UNICODE UTF-8). A UTF-8 byte order mark means UTF-8. Never throws: `charset` in the
 * answer says what was used, and `unknownCharset` what MSH-18 named when it was not understood.
 */
export function decodeBytes(bytes: Uint8Array, opts: { defaultCharset?: string } = {}): { text: string; charset: string; unknownCharset?: string } {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fallback = opts.defaultCharset ?? 'UNICODE UTF-8';
  if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) return { text: buf.toString('utf8', 3), charset: 'UNICODE UTF-8' };
  const declared = msh18(buf);
  const encoding = encodingOf(declared);
  const charset = encoding ? (declared === '' ? fallback : declared) : fallback;
  const text = decodeWith(buf, encodingOf(charset) || 'utf8');
  return encoding === undefined ? { text, charset, unknownCharset: declared } : { text, charset };
}

/** Text to bytes in an HL7 charset (ACKs go back in the sender's charset). */
export function encodeText(text: string, charset: string): Uint8Array {
  const encoding = encodingOf(charset) || 'utf8';
  return encoding === 'latin1' ? Buffer.from(text, 'latin1') : Buffer.from(text, 'utf8');
}

function decodeWith(buf: Buffer, encoding: string): string {
  if (encoding === 'utf8' || encoding === 'latin1') return buf.toString(encoding);
  try {
    return new TextDecoder(encoding).decode(buf);
  } catch {
    return buf.toString('latin1');
  }
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
  while (start < bytes.length && (bytes[start] === 0x20 || bytes[start] === 0x0d || bytes[start] === 0x0a || bytes[start] === 0x09)) start++;
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
