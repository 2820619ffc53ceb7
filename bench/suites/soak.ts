/**
 * Soak: one engine process (role all) under open-loop load of the mix at a fixed rate (500/s) for
 * 10 minutes (20 s with --quick, or --soak-seconds). Sampled over time: the engine's RSS and event-loop delay p99 (its
 * own probe, each second), Redis memory (the server's used_memory and the bytes of this run's keys,
 * with the queue depths), the MongoDB-wire server's disk for this database (dbStats), ACK and
 * end-to-end latency p99 and throughput per 10 s window, and BullMQ's stalled-job events. Writes
 * bench/results/soak.json and one SVG plot per series (soak-*.svg).
 */
import { readFile } from 'node:fs/promises';
import { QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { MongoClient, ServerApiVersion } from 'mongodb';
import type { BenchContext } from '../lib/context.ts';
import { percentiles, windows } from '../lib/stats.ts';
import { lineChart } from '../lib/svg-chart.ts';
import { withEngine } from '../engine/engine-session.ts';
import type { ProbeSample } from '../engine/loop-probe.ts';
import { openLoopRun, type RateRow } from './end-to-end.ts';
import { deliveryQueueName, ROUTE_QUEUE } from '../../engine/queue/queues.ts';

export interface SoakSample {
  /** seconds since the load started */
  t: number;
  redisUsedBytes: number;
  redisRunKeysBytes: number;
  waiting: number;
  delayed: number;
  storeBytes: number;
  delivered: number;
}

export interface SoakResult {
  rate: number;
  seconds: number;
  row: RateRow;
  stalledJobs: number;
  /** (max − min) / min of RSS after the first minute, while the load runs (the target: < 0.10). */
  rssSpreadAfterFirstMinute: number;
  /** RSS median of each whole minute of the load, in MiB: a drift shows here, the GC's sawtooth does not. */
  rssMedianMiBByMinute: number[];
  loopDelayP99MaxMs: number;
  samples: SoakSample[];
  probe: ProbeSample[];
  plots: string[];
}

/** Bytes of this run's Redis keys: MEMORY USAGE of up to 500 of them, scaled to how many there are. */
async function redisRunBytes(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let bytes = 0;
  let keys = 0;
  let measured = 0;
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    keys += batch.length;
    for (const k of batch) {
      if (measured >= 500) break;
      bytes += (await redis.memory('USAGE', k)) ?? 0;
      measured++;
    }
    cursor = next;
  } while (cursor !== '0');
  return measured === 0 ? 0 : Math.round((bytes / measured) * keys);
}

/** `rate`: messages offered per second (default 500); `seconds`: how long (default 600, 20 with --quick). */
export async function runSoak(ctx: BenchContext, o: { rate?: number; seconds?: number } = {}): Promise<SoakResult> {
  const rate = o.rate ?? 500;
  const seconds = o.seconds ?? ctx.seconds(600, 20);
  const redis = new Redis(ctx.redisUrl, { maxRetriesPerRequest: 1 });
  const mongo = new MongoClient(ctx.mongoUrl, { serverApi: { version: ServerApiVersion.v1, strict: false } });
  await mongo.connect();
  try {
    return await withEngine(ctx, { label: 'soak', role: 'all', probe: true }, async (s) => {
      let stalledJobs = 0;
      const events = [deliveryQueueName('ehr-mllp', 'erp'), ROUTE_QUEUE].map(
        (q) => new QueueEvents(q, { connection: { url: ctx.redisUrl }, prefix: s.prefix }),
      );
      for (const e of events) e.on('stalled', () => void stalledJobs++);
      const samples: SoakSample[] = [];
      const start = Date.now();
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const memory = await redis.info('memory');
          const stats = await mongo
            .db(s.db)
            .command({ dbStats: 1 })
            .catch(() => ({}) as Record<string, number>);
          samples.push({
            t: Math.round((Date.now() - start) / 1000),
            redisUsedBytes: Number(/used_memory:(\d+)/.exec(memory)?.[1] ?? 0),
            redisRunKeysBytes: await redisRunBytes(redis, s.prefix),
            waiting: await redis.llen(`${s.prefix}:deliver-erp:wait`),
            delayed: await redis.zcard(`${s.prefix}:deliver-erp:delayed`),
            storeBytes: Number(stats.totalSize ?? Number(stats.storageSize ?? 0) + Number(stats.indexSize ?? 0)),
            delivered: s.erp.postings().length,
          });
          await new Promise((r) => setTimeout(r, ctx.quick ? 2000 : 10_000));
        }
      })();
      const { row, records, delivered } = await openLoopRun(ctx, s, {
        rate,
        seconds,
        drainMs: ctx.seconds(60, 3) * 1000,
        ackDrainMs: ctx.seconds(60, 3) * 1000,
      });
      sampling = false;
      await sampler;
      await Promise.all(events.map((e) => e.close()));
      const probe = (await readFile(s.probeFile, 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as ProbeSample)
        .filter((p) => p.at >= start);
      // After the first minute and while the load runs (the drain afterwards is not the soak).
      const after = probe.filter((p) => p.at - start >= 60_000 && p.at - start <= seconds * 1000).map((p) => p.rssBytes);
      const spread = after.length > 0 ? (Math.max(...after) - Math.min(...after)) / Math.min(...after) : NaN;
      const byMinute = Array.from({ length: Math.floor(seconds / 60) }, (_, m) =>
        probe.filter((p) => p.at - start >= m * 60_000 && p.at - start < (m + 1) * 60_000).map((p) => p.rssBytes),
      );
      const rssMedianMiBByMinute = byMinute.filter((w) => w.length > 0).map((w) => Math.round(percentiles(w).p50 / 2 ** 20));
      const t0 = records[0]?.dueAt ?? start;
      const ackWindows = windows(
        records.filter((r) => r.ackAt).map((r) => ({ at: r.ackAt!, value: r.ackAt! - r.dueAt })),
        { startMs: t0, windowMs: 10_000 },
      );
      const e2eWindows = windows(
        records
          .filter((r) => delivered.has(r.controlId))
          .map((r) => ({ at: delivered.get(r.controlId)!, value: delivered.get(r.controlId)! - r.dueAt })),
        { startMs: t0, windowMs: 10_000 },
      );
      const plots = await plot(ctx, { start, probe, samples, ackWindows, e2eWindows });
      return {
        rate,
        seconds,
        row,
        stalledJobs,
        rssSpreadAfterFirstMinute: Number(spread.toFixed(3)),
        rssMedianMiBByMinute,
        loopDelayP99MaxMs: Math.max(0, ...probe.map((p) => p.loopDelayP99Ms)),
        samples,
        probe,
        plots,
      };
    });
  } finally {
    redis.disconnect();
    await mongo.close();
  }
}

type Window = { t: number; count: number; p99: number };

/** One SVG per series: RSS, event-loop delay p99, Redis memory, store disk, latency and throughput. */
async function plot(
  ctx: BenchContext,
  d: { start: number; probe: ProbeSample[]; samples: SoakSample[]; ackWindows: Window[]; e2eWindows: Window[] },
): Promise<string[]> {
  const secs = (at: number) => Math.round((at - d.start) / 1000);
  const MB = 1024 * 1024;
  const charts: [string, Parameters<typeof lineChart>[0]][] = [
    [
      'soak-rss.svg',
      {
        title: 'Engine RSS',
        xLabel: 's',
        yLabel: 'MiB',
        series: [
          { name: 'RSS', points: d.probe.map((p) => [secs(p.at), p.rssBytes / MB]) },
          { name: 'heap committed', points: d.probe.map((p) => [secs(p.at), p.heapTotalBytes / MB]) },
          { name: 'heap used', points: d.probe.map((p) => [secs(p.at), p.heapUsedBytes / MB]) },
          { name: 'external (Buffers)', points: d.probe.map((p) => [secs(p.at), p.externalBytes / MB]) },
        ],
      },
    ],
    [
      'soak-event-loop.svg',
      {
        title: 'Engine event-loop delay, p99 of each second',
        xLabel: 's',
        yLabel: 'ms',
        series: [{ name: 'p99', points: d.probe.map((p) => [secs(p.at), p.loopDelayP99Ms]) }],
      },
    ],
    [
      'soak-redis.svg',
      {
        title: 'Redis memory',
        xLabel: 's',
        yLabel: 'MiB',
        series: [
          { name: 'used_memory (whole server)', points: d.samples.map((s) => [s.t, s.redisUsedBytes / MB]) },
          { name: "this run's keys (estimate)", points: d.samples.map((s) => [s.t, s.redisRunKeysBytes / MB]) },
        ],
      },
    ],
    [
      'soak-store-disk.svg',
      {
        title: 'MongoDB-wire server disk (dbStats of this database)',
        xLabel: 's',
        yLabel: 'MiB',
        series: [{ name: 'data + indexes', points: d.samples.map((s) => [s.t, s.storeBytes / MB]) }],
      },
    ],
    [
      'soak-latency.svg',
      {
        title: 'Latency, p99 per 10 s window (from when each message was due)',
        xLabel: 's',
        yLabel: 'ms',
        series: [
          { name: 'ACK p99', points: d.ackWindows.map((w) => [w.t, w.p99]) },
          { name: 'end-to-end p99', points: d.e2eWindows.map((w) => [w.t, w.p99]) },
        ],
        references: [
          { y: 10, label: 'ACK target 10 ms' },
          { y: 100, label: 'e2e target 100 ms' },
        ],
      },
    ],
    [
      'soak-throughput.svg',
      {
        title: 'Throughput per 10 s window',
        xLabel: 's',
        yLabel: 'messages/s',
        series: [
          { name: 'ACKed', points: d.ackWindows.map((w) => [w.t, w.count / 10]) },
          { name: 'delivered (ADT+DFT)', points: d.e2eWindows.map((w) => [w.t, w.count / 10]) },
        ],
      },
    ],
  ];
  const files: string[] = [];
  for (const [file, chart] of charts) files.push(await ctx.save(file, lineChart(chart)));
  return files;
}
