import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { PrometheusText } from './prometheus-text.ts';

const NS_PER_SECOND = 1e9;
/** The sampler's timer interval; each sample is the time between two ticks, so this much is subtracted. */
const RESOLUTION_MS = 20;

/**
 * Process metrics of this Node process, with the names prom-client uses so existing dashboards fit: resident memory, heap, CPU seconds,
 * start time, and event-loop delay sampled every 20 ms (reported beyond those 20 ms, so an idle loop reads about 0). The delay figures
 * cover the time since the previous `write` (the histogram is reset after each scrape), so a stall shows in the next scrape and then
 * clears. `start()` and `stop()` enable and disable the sampler; the HTTP server stops it when it closes.
 */
export class ProcessMetrics {
  private readonly delay: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  private readonly startTimeSeconds = Math.round((Date.now() - process.uptime() * 1000) / 1000);

  start(): void {
    this.delay.enable();
  }

  stop(): void {
    this.delay.disable();
  }

  write(out: PrometheusText): void {
    const memory = process.memoryUsage();
    const cpu = process.cpuUsage();
    const delay = (ns: number) => [{ value: this.delay.count === 0 ? 0 : Math.max(0, ns / NS_PER_SECOND - RESOLUTION_MS / 1000) }];
    out
      .gauge('process_resident_memory_bytes', 'Resident memory size in bytes.', [{ value: memory.rss }])
      .gauge('nodejs_heap_size_used_bytes', 'V8 heap in use, in bytes.', [{ value: memory.heapUsed }])
      .gauge('nodejs_heap_size_total_bytes', 'V8 heap allocated, in bytes.', [{ value: memory.heapTotal }])
      .counter('process_cpu_seconds_total', 'User and system CPU time spent, in seconds.', [{ value: (cpu.user + cpu.system) / 1e6 }])
      .gauge('process_start_time_seconds', 'Start time of the process since the Unix epoch, in seconds.', [
        { value: this.startTimeSeconds },
      ])
      .gauge(
        'nodejs_eventloop_lag_p50_seconds',
        'Median event-loop delay since the previous scrape, in seconds.',
        delay(this.delay.percentile(50)),
      )
      .gauge(
        'nodejs_eventloop_lag_p99_seconds',
        '99th percentile of the event-loop delay since the previous scrape, in seconds.',
        delay(this.delay.percentile(99)),
      )
      .gauge('nodejs_eventloop_lag_max_seconds', 'Largest event-loop delay since the previous scrape, in seconds.', delay(this.delay.max));
    this.delay.reset();
  }
}
