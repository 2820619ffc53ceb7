import type { Redis } from 'ioredis';
import { SwitchboardError } from '../errors.ts';

/** Counts one attempt; the window starts with the first. Returns the count, this attempt included. */
const ATTEMPT = `local n = redis.call('incr', KEYS[1]) if n == 1 then redis.call('pexpire', KEYS[1], ARGV[1]) end return n`;
/** Gives an attempt back, only while its window lasts (never a count without expiry). */
const RELEASE = `if redis.call('exists', KEYS[1]) == 1 then return redis.call('decr', KEYS[1]) else return 0 end`;

interface ThrottleCommands {
  sbLoginAttempt(key: string, windowMs: number): Promise<number>;
  sbLoginRelease(key: string): Promise<number>;
}

/**
 * The per-address limit on failed sign-ins (and setup-token tries), shared by every engine process
 * through Redis. An attempt is counted by one atomic INCR before its password is checked, so
 * attempts sent all at once are counted as surely as attempts sent one by one; one that succeeds
 * is given back (`release`), so only failures, and attempts still in flight, count. A fixed window
 * of `windowMs` from the first attempt. Keys `<namespace>:login-attempts:<address>`. Errors:
 * QUEUE_UNAVAILABLE when Redis does not answer (the sign-in is refused with 503, never let through).
 */
export class LoginThrottle {
  private readonly redis: Redis & ThrottleCommands;

  constructor(private readonly o: { redis: Redis; namespace: string; limit: number; windowMs: number }) {
    o.redis.defineCommand('sbLoginAttempt', { numberOfKeys: 1, lua: ATTEMPT });
    o.redis.defineCommand('sbLoginRelease', { numberOfKeys: 1, lua: RELEASE });
    this.redis = o.redis as Redis & ThrottleCommands;
  }

  /** Counts an attempt from `address`; false when it is past the limit and must be refused unchecked. */
  async attempt(address: string): Promise<boolean> {
    const n = await this.call(() => this.redis.sbLoginAttempt(this.key(address), this.o.windowMs));
    return n <= this.o.limit;
  }

  /** The attempt succeeded: it is not a failure. */
  async release(address: string): Promise<void> {
    await this.call(() => this.redis.sbLoginRelease(this.key(address)));
  }

  private key(address: string): string {
    return `${this.o.namespace}:login-attempts:${address}`;
  }

  private async call(op: () => Promise<number>): Promise<number> {
    try {
      return await op();
    } catch (err) {
      throw new SwitchboardError('QUEUE_UNAVAILABLE', 'sign-in throttle unavailable', { cause: err });
    }
  }
}
