import type { Collection } from 'mongodb';
import { storeCall } from './store-call.ts';
import type { Serializer } from './flows.store.ts';
import { KeyedLock } from './keyed-lock.ts';

/** The collection of flow counters: one document per flow (`<flow>`) and per step (`<flow>/<step>`). */
export const FLOW_METRICS_COLLECTION = 'flow_metrics';

/** Upper bounds of the step duration histogram, in seconds (`+Inf` is implied). */
export const STEP_DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] as const;

/** What happened to one attempt of a step. */
export type StepOutcome = 'done' | 'retrying' | 'dead';

interface Counters {
  _id: string;
  flowId: string;
  stepId?: string;
  /** Flow: instances started and completed. Step: attempts started; steps done; attempts that failed (retrying or dead); steps dead. */
  started?: number;
  completed?: number;
  failed?: number;
  dead?: number;
  /** Step durations: count, sum in seconds, and one count per bucket (`b0`… not cumulative; `bInf` past the last). */
  durations?: Record<string, number>;
}

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

/**
 * Counters of flows and their steps for /metrics, kept in the store so that every process's workers
 * add to the same figures and the one serving /metrics reports the deployment (as the other
 * families are read from the store). Each record is one `$inc` upsert, serialised per document
 * (serializeWith), not awaited; a failed record is lost (a metric, not data). Labels are flow and
 * step ids only.
 */
export class FlowMetricsStore {
  private serial: Serializer;

  constructor(private readonly counters: () => Collection<Counters>) {
    const local = new KeyedLock();
    this.serial = (id, work) => local.run(id, work);
  }

  /**
   * Makes the increments of one counter document one at a time across processes (the engine hands
   * in its RedisMutex): FerretDB applies `$inc` by reading and writing the whole document, so two at
   * the same instant count once (seen: two instances finishing together counted one).
   */
  serializeWith(serial: Serializer): void {
    this.serial = serial;
  }

  instancesStarted(flowId: string, n: number): void {
    if (n > 0) this.inc(flowId, { flowId }, { started: n });
  }

  instanceCompleted(flowId: string): void {
    this.inc(flowId, { flowId }, { completed: 1 });
  }

  stepStarted(flowId: string, stepId: string): void {
    this.inc(`${flowId}/${stepId}`, { flowId, stepId }, { started: 1 });
  }

  /** One attempt's end and its duration: `done` completes the step, `dead` ends it failed, `retrying` is a failed attempt. */
  stepEnded(flowId: string, stepId: string, outcome: StepOutcome, durationMs: number): void {
    const seconds = durationMs / 1000;
    const index = STEP_DURATION_BUCKETS.findIndex((b) => seconds <= b);
    const counts: Record<string, number> = {
      'durations.count': 1,
      'durations.sum': seconds,
      [`durations.b${index < 0 ? 'Inf' : index}`]: 1,
    };
    if (outcome === 'done') counts.completed = 1;
    else counts.failed = 1;
    if (outcome === 'dead') counts.dead = 1;
    this.inc(`${flowId}/${stepId}`, { flowId, stepId }, counts);
  }

  /** Every flow's instance counters. */
  async flows(): Promise<{ flowId: string; started: number; completed: number }[]> {
    const docs = await storeCall(() =>
      this.counters()
        .find({ stepId: { $exists: false } })
        .toArray(),
    );
    return docs.map((d) => ({ flowId: d.flowId, started: d.started ?? 0, completed: d.completed ?? 0 }));
  }

  /** Every step's counters and duration histogram. */
  async steps(): Promise<StepCounters[]> {
    const docs = await storeCall(() =>
      this.counters()
        .find({ stepId: { $exists: true } })
        .toArray(),
    );
    return docs.map((d) => {
      const dur = d.durations ?? {};
      let running = 0;
      const buckets = [...STEP_DURATION_BUCKETS.map((_, i) => `b${i}`), 'bInf'].map((k) => (running += dur[k] ?? 0));
      return {
        flowId: d.flowId,
        stepId: d.stepId!,
        started: d.started ?? 0,
        completed: d.completed ?? 0,
        failed: d.failed ?? 0,
        dead: d.dead ?? 0,
        buckets,
        count: dur.count ?? 0,
        sum: dur.sum ?? 0,
      };
    });
  }

  private inc(id: string, ids: { flowId: string; stepId?: string }, counts: Record<string, number>): void {
    void this.serial(id, () => this.counters().updateOne({ _id: id }, { $inc: counts, $setOnInsert: ids }, { upsert: true })).catch(
      () => undefined,
    );
  }
}
