/**
 * `npm run bench [-- --quick] [--only=floors,store,ingest,profile,peer,e2e,e2e-gin,scale-out,soak] [--soak-rate=500]`: every
 * benchmark of issue 9 in one run (--quick: shorter runs, fewer connection counts and rates, no profile), floors first, then the engine, each measured against floors
 * taken on the same machine in the same run. Prints each result as it comes and a Markdown summary
 * with the targets; writes bench/results/bench.json, bench.md, one JSON per benchmark, and the
 * soak's SVG plots. Removes the databases and Redis keys it made. REDIS_URL and MONGODB_URL come
 * from scripts/bench.sh.
 */
import os from 'node:os';
import type { BenchResults } from './lib/report.ts';
import { markdown } from './lib/report.ts';
import { createContext } from './lib/context.ts';
import { runFloors } from './suites/floors.ts';
import { engineRecords, measureStoreFloor } from './suites/store-floor.ts';
import { profileIngest, runIngest } from './suites/ingest.ts';
import { runPeer } from './suites/peer.ts';
import { runEndToEnd } from './suites/end-to-end.ts';
import { runScaleOut } from './suites/scale-out.ts';
import { runSoak } from './suites/soak.ts';

const quick = process.argv.includes('--quick');
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
const wanted = (suite: string) => (only ? only.includes(suite) : suite !== 'e2e-gin' || !quick);
const { MONGODB_URL, REDIS_URL } = process.env;
if (!MONGODB_URL || !REDIS_URL) throw new Error('set MONGODB_URL and REDIS_URL (npm run bench does)');

const ctx = createContext({ quick, mongoUrl: MONGODB_URL, redisUrl: REDIS_URL });
const load = () => os.loadavg().map((l) => l.toFixed(1)).join(' ');
const results: BenchResults = {
  at: new Date().toISOString(),
  quick,
  machine: `${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, Node ${process.version}, ${MONGODB_URL.includes(':27027') ? 'FerretDB 1.24.2 on PostgreSQL' : 'MONGODB_URL'}, load average ${load()} at the start`,
};
const started = Date.now();
const step = async <T>(name: string, title: string, fn: () => Promise<T>): Promise<T | undefined> => {
  if (!wanted(name)) return undefined;
  console.log(`== ${title}`);
  const t = Date.now();
  const value = await fn();
  await ctx.save(`${name}.json`, value);
  console.log(`   (${((Date.now() - t) / 1000).toFixed(0)} s)`);
  return value;
};

try {
  results.floors = await step('floors', 'floors: precomputed ACK, real ACK, group-commit fsync', () => runFloors(ctx));
  results.store = await step('store', "store: the MongoDB-wire server's capacity for the engine's documents", async () =>
    measureStoreFloor({ mongoUrl: MONGODB_URL, db: ctx.name('store'), records: await engineRecords(quick ? 200 : 600, 5), durationMs: ctx.seconds(10, 1.5) * 1000, quick }),
  );
  results.ingest = await step('ingest', 'ingest: the engine (all, ingest, ack-only) at 1, 16, 64 connections', () => runIngest(ctx));
  const profiled = quick && !only?.includes('profile') ? undefined : await step('profile', 'profile: --role ingest at 16 connections, CPU profiler on', () => profileIngest(ctx));
  if (profiled) results.profile = { perSecond: profiled.result.perSecond, profile: profiled.profile };
  results.peer = await step('peer', 'peer: node-hl7-server, engine ACK-only, real-ACK floor', () => runPeer(ctx));
  results.endToEnd = await step('e2e', 'end to end: open loop at fixed rates', () => runEndToEnd(ctx));
  results.endToEndGin = await step('e2e-gin', 'bound check: end to end with a GIN index on _id in PostgreSQL (not shipped)', () => runEndToEnd(ctx, { idGinIndex: true, seconds: ctx.seconds(10, 3) }));
  results.scaleOut = await step('scale-out', 'scale-out: 1 and 2 worker processes', () => runScaleOut(ctx));
  const soakRate = Number(process.argv.find((a) => a.startsWith('--soak-rate='))?.split('=')[1] ?? 500);
  const soak = await step('soak', `soak: ${ctx.seconds(600, 20)} s at ${soakRate} msg/s`, () => runSoak(ctx, { rate: soakRate }));
  if (soak) {
    const { probe: _probe, samples: _samples, ...summary } = soak;
    results.soak = summary;
  }
} finally {
  results.machine += `, ${load()} at the end, ${((Date.now() - started) / 1000).toFixed(0)} s in all`;
  await ctx.save('bench.json', results);
  const md = markdown(results);
  await ctx.save('bench.md', md);
  console.log(`\n${md}`);
  await ctx.cleanup();
}
