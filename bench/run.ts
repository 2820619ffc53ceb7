/**
 * `npm run bench [-- --quick] [--only=floors,store,ingest,profile,peer,durable-peer,e2e,scale-out,queries,search,tracing,retention,soak]
 * [--soak-rate=500] [--soak-seconds=600] [--merge]`: every benchmark of issue 9 in one run (--quick: shorter runs, fewer connection
 * counts and rates, no profile), floors first, then the engine, each measured against floors taken on the same machine in the same run.
 * Prints each result as it comes and a Markdown summary with the targets; writes bench/results/bench.json, bench.md, one JSON per
 * benchmark, and the soak's SVG plots (--merge: into the last bench.json, replacing only the suites run now). Removes the databases and
 * Redis keys it made. REDIS_URL, MONGODB_URL and SWITCHBOARD_PG_URL come from scripts/bench.sh.
 */
import os from 'node:os';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { RESULTS } from './lib/processes.ts';
import type { BenchResults } from './lib/report.ts';
import { markdown } from './lib/report.ts';
import { createContext } from './lib/context.ts';
import { runFloors } from './suites/floors.ts';
import { engineRecords, measureStoreFloor } from './suites/store-floor.ts';
import { profileIngest, runIngest } from './suites/ingest.ts';
import { runPeer } from './suites/peer.ts';
import { runDurablePeer } from './suites/durable-peer.ts';
import { runEndToEnd } from './suites/end-to-end.ts';
import { runScaleOut } from './suites/scale-out.ts';
import { runSoak } from './suites/soak.ts';
import { runStoreQueries } from './suites/store-queries.ts';
import { runSearchScale } from './suites/search-scale.ts';
import { runTracing } from './suites/tracing.ts';
import { runRetention } from './suites/retention.ts';
import { readServicesTable } from '../scripts/lib/services-table.ts';

const quick = process.argv.includes('--quick');
const only = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
const wanted = (suite: string) => !only || only.includes(suite);
const { MONGODB_URL, REDIS_URL } = process.env;
if (!MONGODB_URL || !REDIS_URL) throw new Error('set MONGODB_URL and REDIS_URL (npm run bench does)');

// Servers under test write there too (the group-commit floor's log); a fresh clone has no such folder.
await mkdir(RESULTS, { recursive: true });
const ctx = createContext({ quick, mongoUrl: MONGODB_URL, redisUrl: REDIS_URL });
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
const services = readServicesTable();
const ferretdb = `FerretDB ${services.ferretdbVersion.replace(/^v/, '')} on PostgreSQL`;
const store = MONGODB_URL.includes(`:${services.mongoPort}`) ? ferretdb : 'MONGODB_URL';
const results: BenchResults = {
  at: new Date().toISOString(),
  quick,
  machine: `${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, Node ${process.version}, ${store}, load average ${load()} at the start`,
};
// --merge: keep what the last run's bench.json measured and replace only the suites run now.
if (process.argv.includes('--merge')) {
  const previous = JSON.parse(await readFile(path.join(RESULTS, 'bench.json'), 'utf8')) as BenchResults;
  Object.assign(results, {
    ...previous,
    at: results.at,
    quick,
    machine: `${previous.machine}; merged with a run of ${only?.join(', ') ?? 'everything'} at ${results.at}: ${results.machine}`,
  });
}
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

/** Sets a result when its suite ran (with --merge, the earlier one stays otherwise). */
const keep = <K extends keyof BenchResults>(key: K, value: BenchResults[K] | undefined) => {
  if (value !== undefined) results[key] = value;
};

try {
  keep('floors', await step('floors', 'floors: precomputed ACK, real ACK, group-commit fsync', () => runFloors(ctx)));
  keep(
    'store',
    await step('store', "store: the MongoDB-wire server's capacity for the engine's documents", async () =>
      measureStoreFloor({
        mongoUrl: MONGODB_URL,
        db: ctx.name('store'),
        records: await engineRecords(quick ? 200 : 600, 5),
        durationMs: ctx.seconds(10, 1.5) * 1000,
        quick,
      }),
    ),
  );
  keep('ingest', await step('ingest', 'ingest: the engine (all, ingest, ack-only) at 1, 16, 64 connections', () => runIngest(ctx)));
  const profiled =
    quick && !only?.includes('profile')
      ? undefined
      : await step('profile', 'profile: --role ingest at 16 connections, CPU profiler on', () => profileIngest(ctx));
  if (profiled) keep('profile', { perSecond: profiled.result.perSecond, profile: profiled.profile });
  keep('peer', await step('peer', 'peer: node-hl7-server, engine ACK-only, real-ACK floor', () => runPeer(ctx)));
  keep(
    'durablePeer',
    await step('durable-peer', 'durable peer: Apache Camel (MLLP, INSERT into PostgreSQL, ACK), engine --role ingest and all', () =>
      runDurablePeer(ctx),
    ),
  );
  keep('endToEnd', await step('e2e', 'end to end: open loop at fixed rates', () => runEndToEnd(ctx)));
  keep('scaleOut', await step('scale-out', 'scale-out: 1 and 2 worker processes', () => runScaleOut(ctx)));
  keep(
    'queries',
    await step('queries', `queries: the store's reads with ${ctx.quick ? '5,000' : '50,000'} messages stored`, () => runStoreQueries(ctx)),
  );
  keep(
    'search',
    await step('search', `search: by field and MRN with ${ctx.quick ? '50,000' : '1,000,000'} messages stored`, () => runSearchScale(ctx)),
  );
  keep(
    'tracing',
    await step('tracing', 'tracing: MLLP ingest with traces off and on (a local OTLP collector), in turn', () => runTracing(ctx)),
  );
  keep(
    'retention',
    await step('retention', 'retention: intake ACK latency without pruning and while pruning a backlog', () => runRetention(ctx)),
  );
  const soakRate = Number(process.argv.find((a) => a.startsWith('--soak-rate='))?.split('=')[1] ?? 500);
  const soakSeconds = Number(process.argv.find((a) => a.startsWith('--soak-seconds='))?.split('=')[1] ?? ctx.seconds(600, 20));
  const soak = await step('soak', `soak: ${soakSeconds} s at ${soakRate} msg/s`, () =>
    runSoak(ctx, { rate: soakRate, seconds: soakSeconds }),
  );
  if (soak) {
    const { probe: _probe, samples: _samples, ...summary } = soak;
    keep('soak', summary);
  }
} finally {
  results.machine += `, ${load()} at the end, ${((Date.now() - started) / 1000).toFixed(0)} s in all`;
  await ctx.save('bench.json', results);
  const md = markdown(results);
  await ctx.save('bench.md', md);
  console.log(`\n${md}`);
  await ctx.cleanup();
}
