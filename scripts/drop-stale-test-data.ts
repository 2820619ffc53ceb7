/**
 * `node --import tsx scripts/drop-stale-test-data.ts [--bench]`, run by npm test (and, with --bench,
 * by npm run bench) before it starts: removes what earlier runs left in the project's own services
 * (MONGODB_URL and REDIS_URL from scripts/services.sh), so it does not pile up on disk and in memory:
 * databases in the MongoDB-wire server, and BullMQ keys (`<prefix>:<queue>:…`) in Redis.
 * - Test names: databases and queue prefixes made by `uniqueName` (scripts/lib/unique-name.ts) more
 *   than 6 hours ago (a run still going at the same time is never that old; a failed run's data
 *   stays for 6 hours).
 * - With --bench: every `sbbench_…` name too (bench/lib/context.ts removes its own at the end;
 *   these are left by a run that was killed). Run it only when no other benchmark runs.
 * Any other database or key is left alone. Prints what it removed; a service that does not answer
 * is reported and skipped (exit 0): this is housekeeping, never a reason to fail.
 */
import { MongoClient, ServerApiVersion } from 'mongodb';
import { Redis } from 'ioredis';
import { uniqueNameMadeAt } from './lib/unique-name.ts';

const STALE_MS = 6 * 3_600_000;
const bench = process.argv.includes('--bench');
const { MONGODB_URL, REDIS_URL } = process.env;
if (!MONGODB_URL || !REDIS_URL) throw new Error('set MONGODB_URL and REDIS_URL (scripts/services.sh env)');
const what = bench ? 'tests and benchmarks' : 'test runs';

/** A database name or queue prefix that earlier runs left: a stale test name, or any benchmark name with --bench. */
function isStale(name: string): boolean {
  const madeAt = uniqueNameMadeAt(name);
  return (madeAt !== undefined && Date.now() - madeAt.getTime() > STALE_MS) || (bench && name.startsWith('sbbench_'));
}

async function dropDatabases(url: string): Promise<void> {
  const client = new MongoClient(url, { serverApi: { version: ServerApiVersion.v1, strict: false }, serverSelectionTimeoutMS: 5000 });
  try {
    await client.connect();
    const { databases } = await client.db('admin').admin().listDatabases({ nameOnly: true });
    const stale = databases.map((d) => d.name).filter(isStale);
    for (const name of stale) await client.db(name).dropDatabase();
    if (stale.length > 0) console.log(`[setup] dropped ${stale.length} database(s) left by earlier ${what}`);
  } catch (err) {
    console.log(`[setup] stale databases not dropped: ${(err as Error).message}`);
  } finally {
    await client.close();
  }
}

/** Every name the tests and the bench give queues starts `sb`; only keys of stale prefixes are unlinked. */
async function dropQueueKeys(url: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 5000, lazyConnect: true });
  try {
    await redis.connect();
    const prefixes = new Set<string>();
    let keys = 0;
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', 'sb*:*', 'COUNT', 1000);
      const stale = found.map((key) => ({ key, prefix: key.slice(0, key.indexOf(':')) })).filter((k) => isStale(k.prefix));
      for (const k of stale) prefixes.add(k.prefix);
      if (stale.length > 0) await redis.unlink(...stale.map((k) => k.key));
      keys += stale.length;
      cursor = next;
    } while (cursor !== '0');
    if (keys > 0) console.log(`[setup] removed ${keys} Redis key(s) of ${prefixes.size} queue prefix(es) left by earlier ${what}`);
  } catch (err) {
    console.log(`[setup] stale queue keys not removed: ${(err as Error).message}`);
  } finally {
    redis.disconnect();
  }
}

await dropDatabases(MONGODB_URL);
await dropQueueKeys(REDIS_URL);
