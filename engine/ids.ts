import { randomFillSync } from 'node:crypto';

let lastMs = 0;
let counter = 0;
/** Random bytes drawn 4 KiB at a time: one call into the CSPRNG per 256 ids, not one per id (it was a tenth of intake's CPU). */
const pool = Buffer.alloc(4096);
let poolAt = pool.length;

/**
 * A UUIDv7 (RFC 9562 §5.7), strictly increasing within this process: the 12 bits after the
 * version count messages within one millisecond (method 1 of §6.2), so ids sort in arrival order.
 * Ordered destinations rely on that order. Never derived from message content.
 */
export function newMessageId(now = Date.now()): string {
  if (now <= lastMs) {
    counter++;
    if (counter > 0xfff) {
      lastMs++;
      counter = 0;
    }
  } else {
    lastMs = now;
    counter = 0;
  }
  if (poolAt + 16 > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const bytes = Buffer.from(pool.subarray(poolAt, (poolAt += 16)));
  return uuidv7(bytes, lastMs, counter);
}

/**
 * A UUIDv7 made at `ms`, outside this process's increasing sequence (its 12 bits after the version
 * random): for messages stored as if received then, by the benchmarks and tests that seed a store
 * with old messages. newMessageId cannot make them: its ids never go back in time.
 */
export function messageIdAt(ms: number): string {
  const bytes = randomFillSync(Buffer.alloc(16));
  return uuidv7(bytes, ms, ((bytes[6]! & 0x0f) << 8) | bytes[7]!);
}

/** `bytes` (16, random) as a UUIDv7 string: `ms` in the first 48 bits, then the version, `sequence` (12 bits) and the variant. */
function uuidv7(bytes: Buffer, ms: number, sequence: number): string {
  bytes.writeUIntBE(ms, 0, 6);
  bytes[6] = 0x70 | (sequence >> 8);
  bytes[7] = sequence & 0xff;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The time (epoch ms) a message id was made at: its first 48 bits; undefined when `id` is not such an id. */
export function messageIdTime(id: string): number | undefined {
  const ms = Number.parseInt(id.replaceAll('-', '').slice(0, 12), 16);
  return Number.isFinite(ms) ? ms : undefined;
}
