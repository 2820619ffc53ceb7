import { MongoClient, ServerApiVersion } from 'mongodb';
import { Redis } from 'ioredis';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { RESULTS } from './processes.ts';

/** What every benchmark gets: the run's mode, names and services. */
export interface BenchContext {
  quick: boolean;
  /** Short and unique per run: prefixes databases (`sbbench_<run>_…`), queues and control ids. */
  run: string;
  mongoUrl: string;
  redisUrl: string;
  /** Seconds of one measured run: `full` normally, `quick` with --quick. */
  seconds(full: number, quick: number): number;
  /** A database / queue-prefix name of this run; remembered so `cleanup()` removes it. */
  name(what: string): string;
  /** Writes bench/results/<file> (JSON when given an object). */
  save(file: string, data: unknown): Promise<string>;
  /** Drops one name's database and deletes its Redis keys (a suite done with them). */
  drop(name: string): Promise<void>;
  /** Drops the databases and deletes the Redis keys this run made (nothing else). */
  cleanup(): Promise<void>;
}

export function createContext(o: { quick: boolean; mongoUrl: string; redisUrl: string }): BenchContext {
  const run = Date.now().toString(36).slice(-6);
  const names: string[] = [];
  const drop = async (n: string): Promise<void> => {
    // Forgotten once dropped: cleanup() drops only what no session has.
    const at = names.indexOf(n);
    if (at >= 0) names.splice(at, 1);
    const client = new MongoClient(o.mongoUrl, { serverApi: { version: ServerApiVersion.v1, strict: false } });
    const redis = new Redis(o.redisUrl, { maxRetriesPerRequest: 1 });
    try {
      await client.connect();
      await client
        .db(n)
        .dropDatabase()
        .catch(() => undefined);
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${n}:*`, 'COUNT', 1000);
        if (keys.length > 0) await redis.unlink(...keys);
        cursor = next;
      } while (cursor !== '0');
    } finally {
      await client.close();
      redis.disconnect();
    }
  };
  return {
    ...o,
    run,
    seconds: (full, quick) => (o.quick ? quick : full),
    name: (what) => {
      const n = `sbbench_${run}_${what}`;
      names.push(n);
      return n;
    },
    save: async (file, data) => {
      const p = path.join(RESULTS, file);
      await writeFile(p, typeof data === 'string' ? data : JSON.stringify(data, null, 2));
      return p;
    },
    cleanup: async () => {
      for (const n of [...names]) await drop(n);
    },
    drop,
  };
}
