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
  /** Non-blank bytes seen outside a frame were dropped. */
  | { kind: 'junk'; bytes: number };

export class MllpFramer {
  private chunks: Buffer[] = [];
  private size = 0;
  private inFrame = false;
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
      if (!this.inFrame) {
        const start = data.indexOf(MLLP_START, pos);
        const junk = countNonBlank(data, pos, start === -1 ? data.length : start);
        if (junk > 0) events.push({ kind: 'junk', bytes: junk });
        if (start === -1) break;
        this.inFrame = true;
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
    this.inFrame = false;
    this.overflowed = false;
  }
}

function countNonBlank(data: Buffer, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const b = data[i]!;
    if (b !== 0x0d && b !== 0x0a && b !== 0x20 && b !== 0x09) n++;
  }
  return n;
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
