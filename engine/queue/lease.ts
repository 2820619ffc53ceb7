import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/** Renews the lease only if this holder still has it (compare, then extend). */
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
/** Releases the lease only if this holder still has it. */
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/**
 * A lease in Redis: at most one holder at a time among the processes that share `key`, for work
 * that one process should do for the whole deployment (the relay's pass). `acquire()` takes the
 * lease or renews it for `ttlMs`; a holder that dies loses it when the TTL runs out, and another
 * process takes it on its next call. Not a mutex for correctness: the work it guards must stay
 * safe when, after a pause longer than the TTL, two holders briefly overlap.
 */
export class RedisLease {
  private readonly token = randomUUID();
  private readonly redis: Redis & LeaseCommands;

  constructor(private readonly o: { redis: Redis; key: string; ttlMs: number }) {
    // Scripts as commands of the connection (sent by EVALSHA, loaded once).
    o.redis.defineCommand('sbLeaseRenew', { numberOfKeys: 1, lua: RENEW });
    o.redis.defineCommand('sbLeaseRelease', { numberOfKeys: 1, lua: RELEASE });
    this.redis = o.redis as Redis & LeaseCommands;
  }

  /** How long a lease taken or renewed by `acquire()` lasts. */
  get ttlMs(): number {
    return this.o.ttlMs;
  }

  /** True when this process holds the lease (taken now or renewed); throws when Redis does not answer. */
  async acquire(): Promise<boolean> {
    const { key, ttlMs } = this.o;
    if ((await this.redis.set(key, this.token, 'PX', ttlMs, 'NX')) === 'OK') return true;
    return (await this.redis.sbLeaseRenew(key, this.token, String(ttlMs))) === 1;
  }

  /**
   * Keeps the lease for `ms` from now instead of the TTL, if this process still holds it (a holder
   * resting between passes keeps the others off meanwhile). False when it no longer holds it.
   */
  async holdFor(ms: number): Promise<boolean> {
    return (await this.redis.sbLeaseRenew(this.o.key, this.token, String(Math.ceil(ms)))) === 1;
  }

  /** Gives the lease up (if held), so another process need not wait for the TTL. */
  async release(): Promise<void> {
    await this.redis.sbLeaseRelease(this.o.key, this.token);
  }
}

interface LeaseCommands {
  sbLeaseRenew(key: string, token: string, ttlMs: string): Promise<number>;
  sbLeaseRelease(key: string, token: string): Promise<number>;
}
