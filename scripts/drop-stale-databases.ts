/**
 * `node --import tsx scripts/drop-stale-databases.ts [--bench]`, run by npm test (and, with --bench,
 * by npm run bench) before it starts: drops the databases that earlier runs left in the project's
 * own MongoDB-wire server (MONGODB_URL from scripts/services.sh), so they do not pile up on disk.
 * - Test databases: names made by tests/support/services.ts `uniqueName` more than 6 hours ago (a
 *   run still going at the same time is never that old; a failed run's data stays for 6 hours).
 * - With --bench: every `sbbench_…` database (bench/lib/context.ts drops its own at the end; these
 *   are left by a run that was killed). Run it only when no other benchmark runs.
 * Any other database is left alone. Prints what it dropped; a store that does not answer is
 * reported and skipped (exit 0): this is housekeeping, never a reason to fail.
 */
import { MongoClient, ServerApiVersion } from 'mongodb';
import { uniqueNameMadeAt } from '../tests/support/services.ts';

const STALE_MS = 6 * 3_600_000;
const bench = process.argv.includes('--bench');
const url = process.env.MONGODB_URL;
if (!url) throw new Error('set MONGODB_URL (scripts/services.sh env)');

const client = new MongoClient(url, { serverApi: { version: ServerApiVersion.v1, strict: false }, serverSelectionTimeoutMS: 5000 });
try {
  await client.connect();
  const { databases } = await client.db('admin').admin().listDatabases({ nameOnly: true });
  const stale = databases
    .map((d) => d.name)
    .filter((name) => {
      const madeAt = uniqueNameMadeAt(name);
      return (madeAt && Date.now() - madeAt.getTime() > STALE_MS) || (bench && name.startsWith('sbbench_'));
    });
  for (const name of stale) await client.db(name).dropDatabase();
  if (stale.length > 0) console.log(`[setup] dropped ${stale.length} database(s) left by earlier ${bench ? 'tests and benchmarks' : 'test runs'}`);
} catch (err) {
  console.log(`[setup] stale databases not dropped: ${(err as Error).message}`);
} finally {
  await client.close();
}
