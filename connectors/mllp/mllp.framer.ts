/**
 * MLLP framing (HL7 v2 Transport Specification: MLLP, release 2): each message travels as
 * `0x0B <bytes> 0x1C 0x0D`. The framer is pure: bytes in, frames out, leftovers kept between
 * calls, so frames split across reads and several frames in one read both work.
 */
export const MLLP_START = 0x0b;
export const MLLP_END = 0x1c;
export const MLLP_CR = 0x0d;

export type FramerEvent =
  | { kind: 'frame'; bytes: Buffer }
  /** A frame grew beyond `maxFrameBytes`; `head` holds its first bytes so the NAK can still name the message. */
  | { kind: 'too-large'; head: Buffer }
  /**
   * Non-blank bytes outside a frame (before the first start block or between frames) were dropped;
   * `bytes` counts them and `http` tells whether they begin like an HTTP request line
   * (`POST / HTTP/1.1`), so a listener can name what it refused without logging content.
   */
  | { kind: 'junk'; bytes: number; http: boolean };

export class MllpFramer {
  private chunks: Buffer[] = [];
  private size = 0;
  private open = false;
  private overflowed = false;

  constructor(private readonly maxFrameBytes: number) {}

  /** Feeds bytes from the socket; returns the events they complete, in order. */
  push(data: Buffer): FramerEvent[] {
    const events: FramerEvent[] = [];
    let pos = 0;
    // The end block is 0x1C 0x0D; when a read ended right after 0x1C, its 0x0D opens this one.
    if (this.skipCr && data.length > 0) {
      if (data[0] === MLLP_CR) pos = 1;
      this.skipCr = false;
    }
    while (pos < data.length) {
      if (!this.open) {
        const start = data.indexOf(MLLP_START, pos);
        const junk = countNonBlank(data, pos, start === -1 ? data.length : start);
        if (junk > 0) events.push({ kind: 'junk', bytes: junk, http: looksLikeHttp(data, pos) });
        if (start === -1) break;
        this.open = true;
        pos = start + 1;
        continue;
      }
      const end = data.indexOf(MLLP_END, pos);
      this.append(data.subarray(pos, end === -1 ? data.length : end), events);
      if (end === -1) break;
      this.finish(events);
      if (end + 1 === data.length) this.skipCr = true;
      pos = data[end + 1] === MLLP_CR ? end + 2 : end + 1;
    }
    return events;
  }

  private skipCr = false;

  /** Whether a frame has started and not yet ended (its bytes are held, or dropped when too large). */
  get inFrame(): boolean {
    return this.open;
  }

  /** Bytes of the unfinished frame held in memory (0 between frames and after a too-large one). */
  get bufferedBytes(): number {
    return this.size;
  }

  private append(part: Buffer, events: FramerEvent[]): void {
    if (this.overflowed || part.length === 0) return;
    if (this.size + part.length > this.maxFrameBytes) {
      this.overflowed = true;
      const head = Buffer.concat([...this.chunks, part]).subarray(0, 4096);
      events.push({ kind: 'too-large', head });
      this.chunks = [];
      this.size = 0;
      return;
    }
    this.chunks.push(part);
    this.size += part.length;
  }

  private finish(events: FramerEvent[]): void {
    if (!this.overflowed) events.push({ kind: 'frame', bytes: Buffer.concat(this.chunks, this.size) });
    this.chunks = [];
    this.size = 0;
    this.open = false;
    this.overflowed = false;
  }
}

/** CR, LF, space and tab: what senders put between frames, allowed there. */
function isBlank(b: number): boolean {
  return b === 0x0d || b === 0x0a || b === 0x20 || b === 0x09;
}

function countNonBlank(data: Buffer, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    if (!isBlank(data[i]!)) n++;
  }
  return n;
}

/** An HTTP/1.x request line: a method, a target, the version (RFC 9112 §3). */
const HTTP_REQUEST_LINE = /^(GET|HEAD|POST|PUT|DELETE|CONNECT|OPTIONS|TRACE|PATCH) \S+ HTTP\/1\.[01]\b/;

/** Whether the bytes from `from` (after blank ones) begin with an HTTP request line. */
function looksLikeHttp(data: Buffer, from: number): boolean {
  let i = from;
  while (i < data.length && isBlank(data[i]!)) i++;
  return HTTP_REQUEST_LINE.test(data.toString('latin1', i, Math.min(data.length, i + 2048)));
}

/** Wraps one message in an MLLP frame. */
export function frame(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(payload.length + 3);
  out[0] = MLLP_START;
  out.set(payload, 1);
  out[payload.length + 1] = MLLP_END;
  out[payload.length + 2] = MLLP_CR;
  return out;
}
