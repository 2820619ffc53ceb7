import { STEP_DURATION_BUCKETS, type FlowCounters } from '../flows/flow-counters.ts';
import type { PrometheusText } from './prometheus-text.ts';

/** What /metrics reports of flows, read from their counters at each scrape (the whole deployment). */
export type FlowFigures = Awaited<ReturnType<FlowCounters['read']>>;

/**
 * The flow families of /metrics (issue 24): instances started and completed per flow; per flow and
 * step, attempts started, steps completed, failed attempts, steps dead, and the duration of each
 * attempt as a histogram. Labels are flow and step ids only.
 */
export function writeFlowMetrics(out: PrometheusText, f: FlowFigures): void {
  out.counter(
    'switchboard_flow_instances_started_total',
    'Flow instances started, by flow.',
    f.flows.map((x) => ({ labels: { flow: x.flowId }, value: x.started })),
  );
  out.counter(
    'switchboard_flow_instances_completed_total',
    'Flow instances whose every step is done or skipped, by flow.',
    f.flows.map((x) => ({ labels: { flow: x.flowId }, value: x.completed })),
  );
  const step = (value: (s: FlowFigures['steps'][number]) => number) =>
    f.steps.map((s) => ({ labels: { flow: s.flowId, step: s.stepId }, value: value(s) }));
  out.counter(
    'switchboard_flow_steps_started_total',
    'Attempts of flow steps started, by flow and step.',
    step((s) => s.started),
  );
  out.counter(
    'switchboard_flow_steps_completed_total',
    'Flow steps done, by flow and step.',
    step((s) => s.completed),
  );
  out.counter(
    'switchboard_flow_steps_failed_total',
    'Attempts of flow steps that failed (retried or dead), by flow and step.',
    step((s) => s.failed),
  );
  out.counter(
    'switchboard_flow_steps_dead_total',
    'Flow steps dead (out of attempts or refused for good), by flow and step.',
    step((s) => s.dead),
  );
  out.histogram(
    'switchboard_flow_step_duration_seconds',
    'Duration of each attempt of a flow step, by flow and step.',
    STEP_DURATION_BUCKETS,
    f.steps.map((s) => ({ labels: { flow: s.flowId, step: s.stepId }, buckets: s.buckets, sum: s.sum, count: s.count })),
  );
}
