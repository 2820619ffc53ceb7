/**
 * bench/ingest: MLLP messages per second with 1 and 16 connections, ACK after the durable commit
 * (MongoDB w:majority, j:true), beside a raw echo-ACK server measured in the same run on the same
 * machine. The load generator runs in its own process. Results: a table, and bench/results/ingest.json.
 * Usage: npx tsx bench/ingest/ingest.bench.ts [--quick]   (REDIS_URL and MONGODB_URL from scripts/bench.sh)
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startEchoAckServer } from './echo-server.ts';
import { Engine } from '../../engine/engine.ts';
import { loadConfig } from '../../engine/config/config.ts';
import { silentLogger } from '../../engine/log.ts';
import ehrMllp from '../../channels/ehr-mllp.channel.ts';
import { startErpSimulator } from '../../tests/peers/erp-simulator.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const quick = process.argv.includes('--quick');
const durationMs = quick ? 3000 : 10_000;
const run = `b${Date.now().toString(36)}`;

async function load(port: number, connections: number, tag: string) {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'bench/ingest/load.ts', String(port), String(connections), String(durationMs), tag], { cwd: root });
  const r = JSON.parse(stdout.trim().split('\n').at(-1)!) as { acked: number; errors: number; latenciesMs: number[] };
  return { perSecond: Math.round(r.acked / (durationMs / 1000)), p50Ms: r.latenciesMs[0]!, p99Ms: r.latenciesMs[1]!, errors: r.errors };
}

const echo = await startEchoAckServer();
const erp = await startErpSimulator({ port: 0 });
const config = loadConfig({ ...process.env, MONGODB_DB: `sbbench_${run}`, QUEUE_PREFIX: `sbbench_${run}`, HTTP_PORT: '0', LOG_LEVEL: 'error' });
const engine = new Engine({
  config,
  log: silentLogger(),
  channels: [{ ...ehrMllp, source: { ...ehrMllp.source, host: '127.0.0.1', port: 0 }, destinations: ehrMllp.destinations.map((d) => ({ ...d, config: { ...d.config, baseUrl: erp.url } })) }],
});
const { mllp } = await engine.start();
const enginePort = Object.values(mllp)[0]!;

const rows = [];
for (const connections of [1, 16]) {
  const floor = await load(echo.port, connections, `${run}-echo-${connections}`);
  const durable = await load(enginePort, connections, `${run}-engine-${connections}`);
  rows.push({ connections, floor, engine: durable, ratio: Number((durable.perSecond / floor.perSecond).toFixed(3)) });
}
await engine.close();
await erp.close();
await echo.close();

console.log(`\nbench/ingest (${durationMs / 1000}s per run, loopback, ${process.env.MONGODB_URL?.includes('27027') ? 'FerretDB 1.24.2 on PostgreSQL' : 'MONGODB_URL'})`);
console.log('connections | echo-ACK floor msg/s | durable ingest msg/s | ratio | ingest p50 ms | ingest p99 ms');
for (const r of rows) {
  console.log(`${String(r.connections).padStart(11)} | ${String(r.floor.perSecond).padStart(20)} | ${String(r.engine.perSecond).padStart(20)} | ${r.ratio.toFixed(3)} | ${String(r.engine.p50Ms).padStart(13)} | ${String(r.engine.p99Ms).padStart(13)}`);
}
await mkdir(path.join(root, 'bench/results'), { recursive: true });
await writeFile(path.join(root, 'bench/results/ingest.json'), JSON.stringify({ at: new Date().toISOString(), durationMs, rows }, null, 2));
