/**
 * Preloaded into an engine process by the benchmarks (`node --import tsx --import
 * ./bench/engine/loop-probe.ts engine/main.ts`), never by the engine itself: once a second it
 * appends one JSON line to $BENCH_PROBE_FILE with the process's RSS and heap, its CPU time, and the
 * event-loop delay of that second (p99 and max, from perf_hooks' histogram at 1 ms resolution), and
 * the garbage collector's pauses in it.
 */
import { appendFileSync } from 'node:fs';
import { constants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';

export interface ProbeSample {
  /** epoch ms */
  at: number;
  rssBytes: number;
  heapUsedBytes: number;
  /** The V8 heap as committed (used or not): what the heap holds of RSS. */
  heapTotalBytes: number;
  /** Memory outside the V8 heap held by JavaScript objects: Buffers and other ArrayBuffers (message bytes). */
  externalBytes: number;
  /** CPU (user + system) used in this second, in ms. */
  cpuMs: number;
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  /** Garbage collection in this second: pause time of the main thread, in ms, and how many full (mark-compact) collections. */
  gcMs: number;
  fullGcs: number;
  /** Committed bytes of each V8 heap space (new_space, old_space, large_object_space, …). */
  spaces: Record<string, number>;
}

const file = process.env.BENCH_PROBE_FILE;
if (file) {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  let cpu = process.cpuUsage();
  let gcMs = 0;
  let fullGcs = 0;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcMs += e.duration;
      if ((e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) fullGcs++;
    }
  }).observe({ entryTypes: ['gc'] });
  setInterval(() => {
    const used = process.cpuUsage(cpu);
    cpu = process.cpuUsage();
    const memory = process.memoryUsage();
    const sample: ProbeSample = {
      at: Date.now(),
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      heapTotalBytes: memory.heapTotal,
      externalBytes: memory.external,
      cpuMs: Math.round((used.user + used.system) / 1000),
      loopDelayP99Ms: Number((histogram.percentile(99) / 1e6).toFixed(2)),
      loopDelayMaxMs: Number((histogram.max / 1e6).toFixed(2)),
      gcMs: Math.round(gcMs),
      fullGcs,
      spaces: Object.fromEntries(getHeapSpaceStatistics().map((sp) => [sp.space_name, sp.space_size])),
    };
    gcMs = 0;
    fullGcs = 0;
    histogram.reset();
    appendFileSync(file, `${JSON.stringify(sample)}\n`);
  }, 1000).unref();
}
