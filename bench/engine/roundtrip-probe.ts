/**
 * Preloaded into an engine process by the benchmarks (never by the engine itself) when
 * $BENCH_ROUNDTRIP_FILE is set: counts the store and Redis round trips the engine makes, by
 * operation, and the time it waits on each store operation. It wraps the MongoDB driver's
 * Collection methods and ioredis' sendCommand (which BullMQ uses), and rewrites the file once a
 * second with the running totals (RoundTrips; written aside, then renamed), so a benchmark can subtract two readings.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { Collection } from 'mongodb';
import { Redis } from 'ioredis';

export interface RoundTrips {
  at: number;
  /** Store calls by Collection method: calls and total ms waited (find: calls only, the cursor is lazy). */
  mongo: Record<string, { calls: number; ms: number }>;
  /** Redis commands by name (a pipeline counts each of its commands; EVALSHA is one BullMQ script). */
  redis: Record<string, number>;
  /** Documents inserted (insertOne: one; insertMany: its array): the messages stored, with group commit too. */
  inserted: number;
}

const file = process.env.BENCH_ROUNDTRIP_FILE;
if (file) {
  const totals: RoundTrips = { at: Date.now(), mongo: {}, redis: {}, inserted: 0 };
  const proto = Collection.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const method of [
    'insertOne',
    'insertMany',
    'findOne',
    'findOneAndUpdate',
    'updateOne',
    'updateMany',
    'deleteMany',
    'countDocuments',
    'find',
    'aggregate',
    'createIndex',
  ]) {
    const original = proto[method];
    if (typeof original !== 'function') continue;
    proto[method] = function wrapped(this: unknown, ...args: unknown[]) {
      const entry = (totals.mongo[method] ??= { calls: 0, ms: 0 });
      entry.calls++;
      if (method === 'insertOne') totals.inserted++;
      if (method === 'insertMany' && Array.isArray(args[0])) totals.inserted += args[0].length;
      const start = performance.now();
      const result = original.apply(this, args);
      if (result instanceof Promise)
        void result.then(
          () => (entry.ms += performance.now() - start),
          () => (entry.ms += performance.now() - start),
        );
      return result;
    };
  }
  const redisProto = Redis.prototype as unknown as { sendCommand: (command: { name: string }, ...rest: unknown[]) => unknown };
  const send = redisProto.sendCommand;
  redisProto.sendCommand = function wrapped(this: unknown, command: { name: string }, ...rest: unknown[]) {
    totals.redis[command.name] = (totals.redis[command.name] ?? 0) + 1;
    return send.call(this, command, ...rest);
  };
  setInterval(() => {
    totals.at = Date.now();
    writeFileSync(`${file}.tmp`, JSON.stringify(totals));
    renameSync(`${file}.tmp`, file);
  }, 1000).unref();
}
