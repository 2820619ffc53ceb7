import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { SwitchboardError } from '../errors.ts';
import { KeyedLock } from '../store/keyed-lock.ts';

/** Deletes the lock only if this holder still has it. */
const UNLOCK = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/**
 * Mutual exclusion per key across the deployment's processes, for a short store write that must
 * not overlap another write of the same document: FerretDB 1.24 applies an update by reading the
 * document and writing it whole, so two updates of one flow instance at the same instant (two
 * branches finishing, in two worker processes) lose one (see KeyedLock). Within a process the calls
 * queue on a KeyedLock; across processes each holds `SET key token NX PX ttl` while it writes,
 * polling every 5–15 ms for it, for at most `waitMs` (then QUEUE_UNAVAILABLE, transient: the job
 * retries). The TTL bounds a holder that died. Redis being flushed while a write holds a lock can
 * let two writes overlap once; the relay repairs what that loses (a step re-run under its key).
 */
export class RedisMutex {
  private readonly local = new KeyedLock();
  private readonly redis: Redis & MutexCommands;

  constructor(private readonly o: { redis: Redis; prefix: string; ttlMs?: number; waitMs?: number }) {
    o.redis.defineCommand('sbMutexUnlock', { numberOfKeys: 1, lua: UNLOCK });
    this.redis = o.redis as Redis & MutexCommands;
  }

  /** Runs `work` holding the lock of `key`; its result or error is the caller's. */
  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    return this.local.run(key, async () => {
      const lock = `${this.o.prefix}:mutex:${key}`;
      const token = randomUUID();
      await this.take(lock, token);
      try {
        return await work();
      } finally {
        await this.redis.sbMutexUnlock(lock, token).catch(() => undefined);
      }
    });
  }

  private async take(lock: string, token: string): Promise<void> {
    const deadline = Date.now() + (this.o.waitMs ?? 10_000);
    for (;;) {
      const taken = await this.redis.set(lock, token, 'PX', this.o.ttlMs ?? 5000, 'NX').catch((err: unknown) => {
        throw new SwitchboardError('QUEUE_UNAVAILABLE', 'Redis did not answer for a lock', { cause: err });
      });
      if (taken === 'OK') return;
      if (Date.now() > deadline) throw new SwitchboardError('QUEUE_UNAVAILABLE', 'a lock stayed taken past its wait');
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 10));
    }
  }
}

interface MutexCommands {
  sbMutexUnlock(key: string, token: string): Promise<number>;
}
