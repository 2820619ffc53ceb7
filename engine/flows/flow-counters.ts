import { Counter, Histogram } from '../metrics/registry.ts';
import type { PrometheusText } from '../metrics/prometheus-text.ts';

/** Upper bounds of the step duration histogram, in seconds (`+Inf` is implied). */
export const STEP_DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] as const;

/** What happened to one attempt of a step. */
export type StepOutcome = 'done' | 'retrying' | 'dead';

/**
 * Counters of flows and their steps for /metrics, kept in this process since it started, as the
 * engine's other counters are (engine/metrics/engine-metrics.ts): the step path adds in memory, and
 * each process exposes its own (the admin server's /metrics, or a worker's METRICS_PORT listener)
 * for Prometheus to sum. One per engine. Labels are flow and step ids only.
 */
export class FlowCounters {
  private readonly instancesStartedTotal = new Counter('switchboard_flow_instances_started_total', 'Flow instances started, by flow.', [
    'flow',
  ]);
  private readonly instancesCompletedTotal = new Counter(
    'switchboard_flow_instances_completed_total',
    'Flow instances whose every step is done or skipped, by flow.',
    ['flow'],
  );
  private readonly started = new Counter('switchboard_flow_steps_started_total', 'Attempts of flow steps started, by flow and step.', [
    'flow',
    'step',
  ]);
  private readonly completed = new Counter('switchboard_flow_steps_completed_total', 'Flow steps done, by flow and step.', [
    'flow',
    'step',
  ]);
  private readonly failed = new Counter(
    'switchboard_flow_steps_failed_total',
    'Attempts of flow steps that failed (retried or dead), by flow and step.',
    ['flow', 'step'],
  );
  private readonly dead = new Counter(
    'switchboard_flow_steps_dead_total',
    'Flow steps dead (out of attempts or refused for good), by flow and step.',
    ['flow', 'step'],
  );
  private readonly duration = new Histogram(
    'switchboard_flow_step_duration_seconds',
    'Duration of each attempt of a flow step, by flow and step.',
    ['flow', 'step'],
    STEP_DURATION_BUCKETS,
  );

  instancesStarted(flowId: string, n: number): void {
    this.instancesStartedTotal.inc([flowId], n);
  }

  instanceCompleted(flowId: string): void {
    this.instancesCompletedTotal.inc([flowId]);
  }

  stepStarted(flowId: string, stepId: string): void {
    this.started.inc([flowId, stepId]);
  }

  /** One attempt's end and its duration: `done` completes the step, `dead` ends it failed, `retrying` is a failed attempt. */
  stepEnded(flowId: string, stepId: string, outcome: StepOutcome, durationMs: number): void {
    this.duration.observe([flowId, stepId], durationMs / 1000);
    if (outcome === 'done') this.completed.inc([flowId, stepId]);
    else this.failed.inc([flowId, stepId]);
    if (outcome === 'dead') this.dead.inc([flowId, stepId]);
  }

  write(out: PrometheusText): void {
    for (const family of [this.instancesStartedTotal, this.instancesCompletedTotal, this.started, this.completed, this.failed, this.dead])
      family.write(out);
    this.duration.write(out);
  }
}
