/**
 * bench/flows: what a process flow costs the channel that triggers it, and how fast its steps run,
 * measured in the same run, in alternating rounds (the host is shared), reported as ratios:
 * - ACK latency of DFT^P03 messages (two charge lines each) on the demo MLLP channel, one sender,
 *   with the procedure flow (its two instances created after the message's write, before the ACK)
 *   and without it; the ratio with ÷ without;
 * - with the flow: instances completed per second, from the first message sent to the last instance
 *   completed (five steps each against the development simulators, in this process).
 * Usage: node --import tsx bench/flows/flows.bench.ts [--quick], with REDIS_URL and MONGODB_URL set
 * (`bash scripts/services.sh env`). Writes bench/results/flows.json.
 */
import os from 'node:os';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';
import ehrMllp from '../../channels/ehr-mllp.channel.ts';
import { MLLP_CR, MLLP_END, MLLP_START } from '../../connectors/mllp/mllp.framer.ts';
import { loadConfig } from '../../engine/config/config.ts';
import { loadSecurityConfig } from '../../engine/config/security-config.ts';
import { silentLogger } from '../../engine/log.ts';
import procedure from '../../flows/procedure.flow.ts';
import { DEMO_SEED, flowPeerEnv, startFlowPeers, type FlowPeers } from '../../peers/flow-peers.ts';
import { procedureDft } from '../../peers/procedure-dft.ts';
import { uniqueName } from '../../scripts/lib/unique-name.ts';
import { createEngine } from '../../wiring.ts';
import { MllpConnection } from '../load/mllp-connection.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const quick = process.argv.includes('--quick');
const rounds = quick ? 2 : 5;
const MESSAGES = quick ? 40 : 100;
const LINES = [
  { code: 'SUTURE-3-0', quantity: 1, department: 'OR', performer: 'DR-ANDERS' },
  { code: 'GAUZE-10X10', quantity: 2, department: 'OR', performer: 'DR-ANDERS' },
];

interface RoundResult {
  ackMs: number[];
  /** With the flow: seconds from the first message to the last instance completed. */
  completeSeconds?: number;
}

/** One engine on the shared services (its own database and queue prefix), the demo channel, with or without the flow. */
async function oneRound(peers: FlowPeers, withFlow: boolean): Promise<RoundResult> {
  const db = uniqueName('sbbenchflow');
  const env = { ...process.env, ...flowPeerEnv(peers), FLOW_TIMEOUT_MS: '10000' };
  const config = loadConfig({
    REDIS_URL: process.env.REDIS_URL,
    MONGODB_URL: process.env.MONGODB_URL,
    MONGODB_DB: db,
    QUEUE_PREFIX: uniqueName('sbqbench'),
    HTTP_PORT: '0',
  });
  const channel = { ...ehrMllp, source: { ...ehrMllp.source, host: '127.0.0.1', port: 0 } };
  const engine = createEngine({
    config,
    channels: [channel],
    flows: withFlow ? [procedure] : [],
    env,
    log: silentLogger(),
    security: loadSecurityConfig({}),
    announce: () => undefined,
  });
  try {
    const addresses = await engine.start();
    const connection = await MllpConnection.open(Object.values(addresses.mllp)[0]!);
    const started = performance.now();
    const ackMs: number[] = [];
    for (let i = 0; i < MESSAGES; i++) {
      const id = `BF${withFlow ? 'F' : 'N'}${i}`;
      const sent = performance.now();
      const ack = await connection.send(framed(procedureDft(id, LINES)), id);
      if (ack.code !== 'AA') throw new Error(`message ${id} answered ${ack.code}`);
      ackMs.push(performance.now() - sent);
    }
    connection.close();
    if (!withFlow) return { ackMs };
    const expected = MESSAGES * LINES.length;
    for (;;) {
      const { counts } = await engine.store!.flows.standing('procedure');
      if (counts.completed === expected) break;
      if (counts.stalled > 0) throw new Error(`${counts.stalled} instances stalled`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return { ackMs, completeSeconds: (performance.now() - started) / 1000 };
  } finally {
    await engine.close();
    const client = await MongoClient.connect(process.env.MONGODB_URL!);
    await client.db(db).dropDatabase();
    await client.close();
  }
}

const framed = (text: string) => Buffer.concat([Buffer.from([MLLP_START]), Buffer.from(text), Buffer.from([MLLP_END, MLLP_CR])]);
const quantile = (xs: readonly number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
const round2 = (x: number) => Math.round(x * 100) / 100;

async function main(): Promise<void> {
  if (!process.env.REDIS_URL || !process.env.MONGODB_URL) throw new Error('set REDIS_URL and MONGODB_URL (bash scripts/services.sh env)');
  const items = DEMO_SEED.items.map((i) => ({ ...i, stock: 1_000_000 }));
  const peers = await startFlowPeers({ encounters: DEMO_SEED.encounters, items });
  const loadBefore = os.loadavg()[0]!;
  const results: { round: number; without: RoundResult; with: RoundResult }[] = [];
  try {
    for (let round = 1; round <= rounds; round++) {
      // Alternating which goes first, so a drift of the host's load falls on both.
      const first = round % 2 === 1;
      const a = await oneRound(peers, !first);
      const b = await oneRound(peers, first);
      results.push({ round, without: first ? a : b, with: first ? b : a });
      const r = results.at(-1)!;
      console.log(
        `round ${round}: ACK median ${round2(quantile(r.without.ackMs, 0.5))} ms without, ${round2(quantile(r.with.ackMs, 0.5))} ms with ` +
          `the flow; ${round2((MESSAGES * LINES.length) / r.with.completeSeconds!)} instances/s`,
      );
    }
  } finally {
    await peers.close();
  }
  const ratios = results.map((r) => quantile(r.with.ackMs, 0.5) / quantile(r.without.ackMs, 0.5));
  const summary = {
    at: new Date().toISOString(),
    host: { cpus: os.cpus().length, model: os.cpus()[0]?.model, loadAverage: [round2(loadBefore), round2(os.loadavg()[0]!)] },
    messages: MESSAGES,
    linesPerMessage: LINES.length,
    rounds: results.map((r) => ({
      round: r.round,
      ackMedianMsWithout: round2(quantile(r.without.ackMs, 0.5)),
      ackP95MsWithout: round2(quantile(r.without.ackMs, 0.95)),
      ackMedianMsWith: round2(quantile(r.with.ackMs, 0.5)),
      ackP95MsWith: round2(quantile(r.with.ackMs, 0.95)),
      instancesPerSecond: round2((MESSAGES * LINES.length) / r.with.completeSeconds!),
    })),
    ackMedianRatioWithOverWithout: {
      median: round2(quantile(ratios, 0.5)),
      min: round2(Math.min(...ratios)),
      max: round2(Math.max(...ratios)),
    },
  };
  await mkdir(path.join(root, 'bench/results'), { recursive: true });
  await writeFile(path.join(root, 'bench/results/flows.json'), `${JSON.stringify(summary, null, 2)}\n`);
  console.log(JSON.stringify(summary.ackMedianRatioWithOverWithout), `load ${summary.host.loadAverage.join(' → ')}`);
}

await main();
