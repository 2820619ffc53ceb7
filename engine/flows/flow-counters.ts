import type { Redis } from 'ioredis';

/** Upper bounds of the step duration histogram, in seconds (`+Inf` is implied). */
export const STEP_DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] as const;

/** What happened to one attempt of a step. */
export type StepOutcome = 'done' | 'retrying' | 'dead';

/** A step's counters as /metrics reads them. */
export interface StepCounters {
  flowId: string;
  stepId: string;
  started: number;
  completed: number;
  failed: number;
  dead: number;
  /** Cumulative counts per STEP_DURATION_BUCKETS bound, then +Inf. */
  buckets: number[];
  count: number;
  sum: number;
}

/** A flow's instance counters. */
export interface InstanceCounters {
  flowId: string;
  started: number;
  completed: number;
}

/**
 * Counters of flows and their steps for /metrics, in one Redis hash per flow
 * (`<prefix>:flow-metrics:<flowId>`; fields `started`, `completed`, `<step>|started`…), so every
 * process's workers add to the same figures atomically (HINCRBY) and the process serving /metrics
 * reports the deployment, without a store write on the step path. A flushed Redis starts them at
 * zero again, which Prometheus reads as a counter reset. Each record is one pipelined round trip,
 * not awaited; a failed one is lost (a metric, not data). Fields are flow and step ids only.
 */
export class FlowCounters {
  constructor(private readonly o: { redis: Redis; prefix: string }) {}

  instancesStarted(flowId: string, n: number): void {
    if (n > 0) this.add(flowId, [['started', n]]);
  }

  instanceCompleted(flowId: string): void {
    this.add(flowId, [['completed', 1]]);
  }

  stepStarted(flowId: string, stepId: string): void {
    this.add(flowId, [[`${stepId}|started`, 1]]);
  }

  /** One attempt's end and its duration: `done` completes the step, `dead` ends it failed, `retrying` is a failed attempt. */
  stepEnded(flowId: string, stepId: string, outcome: StepOutcome, durationMs: number): void {
    const seconds = durationMs / 1000;
    const index = STEP_DURATION_BUCKETS.findIndex((b) => seconds <= b);
    const counts: [string, number][] = [
      [`${stepId}|count`, 1],
      [`${stepId}|sum`, seconds],
      [`${stepId}|b${index < 0 ? 'Inf' : index}`, 1],
      [`${stepId}|${outcome === 'done' ? 'completed' : 'failed'}`, 1],
    ];
    if (outcome === 'dead') counts.push([`${stepId}|dead`, 1]);
    this.add(flowId, counts);
  }

  /** Every named flow's counters, and its steps'. */
  async read(flowIds: readonly string[]): Promise<{ flows: InstanceCounters[]; steps: StepCounters[] }> {
    const hashes = await Promise.all(flowIds.map((id) => this.o.redis.hgetall(this.key(id))));
    const flows: InstanceCounters[] = [];
    const steps: StepCounters[] = [];
    flowIds.forEach((flowId, i) => {
      const h = hashes[i]!;
      const n = (field: string) => Number(h[field] ?? 0);
      flows.push({ flowId, started: n('started'), completed: n('completed') });
      const stepIds = new Set(Object.keys(h).flatMap((f) => (f.includes('|') ? [f.split('|')[0]!] : [])));
      for (const stepId of stepIds) {
        const s = (field: string) => n(`${stepId}|${field}`);
        let running = 0;
        const buckets = [...STEP_DURATION_BUCKETS.map((_, b) => `b${b}`), 'bInf'].map((b) => (running += s(b)));
        const counts = { started: s('started'), completed: s('completed'), failed: s('failed'), dead: s('dead') };
        steps.push({ flowId, stepId, ...counts, buckets, count: s('count'), sum: s('sum') });
      }
    });
    return { flows, steps };
  }

  private key(flowId: string): string {
    return `${this.o.prefix}:flow-metrics:${flowId}`;
  }

  private add(flowId: string, counts: readonly [string, number][]): void {
    const pipeline = this.o.redis.pipeline();
    for (const [field, by] of counts)
      if (Number.isInteger(by)) pipeline.hincrby(this.key(flowId), field, by);
      else pipeline.hincrbyfloat(this.key(flowId), field, by);
    void pipeline.exec().catch(() => undefined);
  }
}
