import { setTimeout as sleep } from 'node:timers/promises';
import type { SharedScripts } from '../../engine/connector.ts';

/** Where the limiter keeps its two times (ms): the next free slot, and the end of a 429's pause. */
interface SlotBook {
  /** Books the next free slot (not before a pause ends) and moves it on by `intervalMs`; gives ms until the booked slot. */
  book(intervalMs: number): Promise<number>;
  /** Ms until the pause ends (0: not paused). */
  pausedFor(): Promise<number>;
  pause(ms: number): Promise<void>;
}

/** Redis's clock in ms, so every process measures against one clock. */
const NOW = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000`;
/** KEYS: next slot, pause end. ARGV: interval (ms). */
const BOOK = `${NOW}
local slot = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'), tonumber(redis.call('GET', KEYS[2]) or '0'))
redis.call('SET', KEYS[1], string.format('%.3f', slot + ARGV[1]), 'PX', math.ceil(slot - now + ARGV[1]) + 1000)
return math.ceil(slot - now)`;
/** KEYS: pause end. */
const PAUSED_FOR = `${NOW}
return math.max(0, math.ceil(tonumber(redis.call('GET', KEYS[1]) or '0') - now))`;
/** KEYS: pause end. ARGV: pause (ms). Only ever extends the pause. */
const PAUSE = `${NOW}
local ends = now + tonumber(ARGV[1])
if ends > tonumber(redis.call('GET', KEYS[1]) or '0') then redis.call('SET', KEYS[1], string.format('%.3f', ends), 'PX', ARGV[1]) end
return 0`;

/** Key names (under the destination's key space; no PHI). */
const NEXT = 'rate-limit:next-slot';
const PAUSED = 'rate-limit:paused-until';

const sharedBook = (shared: SharedScripts): SlotBook => ({
  book: async (intervalMs) => Number(await shared.run(BOOK, [NEXT, PAUSED], [intervalMs])),
  pausedFor: async () => Number(await shared.run(PAUSED_FOR, [PAUSED], [])),
  pause: async (ms) => void (await shared.run(PAUSE, [PAUSED], [Math.ceil(ms)])),
});

function localBook(): SlotBook {
  let next = 0;
  let pausedUntil = 0;
  return {
    book: async (intervalMs) => {
      const now = Date.now();
      const slot = Math.max(now, next, pausedUntil);
      next = slot + intervalMs;
      return Math.ceil(slot - now);
    },
    pausedFor: async () => Math.max(0, pausedUntil - Date.now()),
    pause: async (ms) => void (pausedUntil = Math.max(pausedUntil, Date.now() + ms)),
  };
}

/**
 * The rate limit of one destination: requests start at least `1000 / perSecond` ms apart, so no
 * one-second window holds more than `perSecond` of them (rounded up), plus one when a process
 * wakes late for its slot. With `shared` (the engine's, see ConnectorDeps) the slots are booked in
 * Redis, so the limit holds across every process of the deployment, and a 429's `pause(ms)` holds
 * every process's sends until the Retry-After passes; without it (a connector made outside an
 * engine) they are this process's. The erp-rest destination calls `take` before each request and
 * `pause` after a 429. Both throw QUEUE_UNAVAILABLE when Redis does not answer (nothing was sent).
 */
export class RateLimiter {
  private readonly slots: SlotBook;
  private readonly intervalMs: number;

  constructor(perSecond: number, shared?: SharedScripts) {
    this.intervalMs = 1000 / perSecond;
    this.slots = shared ? sharedBook(shared) : localBook();
  }

  pause(ms: number): Promise<void> {
    return this.slots.pause(ms);
  }

  /** Resolves when a request may go (or at once when `signal` aborts). */
  async take(signal?: AbortSignal): Promise<void> {
    for (;;) {
      if (signal?.aborted) return;
      const wait = await this.slots.book(this.intervalMs);
      if (wait <= 0) return;
      if (!(await wake(wait, signal))) return;
      // A 429 seen while this slot was waiting pauses it too: book again after the pause.
      const paused = await this.slots.pausedFor();
      if (paused <= 0) return;
      if (!(await wake(paused, signal))) return;
    }
  }
}

/** Sleeps `ms`; false when `signal` aborted first. */
const wake = (ms: number, signal?: AbortSignal): Promise<boolean> =>
  sleep(ms, undefined, signal ? { signal } : {}).then(
    () => true,
    () => false,
  );
