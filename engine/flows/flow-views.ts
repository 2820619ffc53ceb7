import { MASK } from '../security/masking.ts';
import type { FlowInstance } from '../store/flows.store.ts';
import type { LoadedFlow } from './flow-catalog.ts';
import type { StepState } from './step-planner.ts';
import type { FlowView, InstanceDetail, InstanceSummary, StepDetail, StepSummary } from './flow-view.ts';

/** The views of flows and instances the API answers (flow-view.ts), made from definitions and stored instances. */

export function flowView(flow: LoadedFlow, standing: Pick<FlowView, 'counts' | 'last24h'> & { oldestUnsettledAt?: Date }): FlowView {
  const { definition: d } = flow;
  return {
    id: d.id,
    version: flow.version,
    description: d.description,
    trigger: { channelId: d.trigger.channelId, model: d.trigger.model },
    steps: d.steps.map((s) => ({
      id: s.id,
      kind: s.kind,
      ...(s.description ? { description: s.description } : {}),
      dependsOn: [...s.dependsOn],
      ...(s.connector ? { connector: s.connector.kind } : {}),
      compensates: Boolean(s.compensation),
    })),
    counts: standing.counts,
    ...(standing.oldestUnsettledAt ? { oldestUnsettledAt: standing.oldestUnsettledAt.toISOString() } : {}),
    last24h: standing.last24h,
  };
}

function stepSummary(s: StepState): StepSummary {
  return {
    status: s.status,
    attempts: s.attempts,
    ...(s.nextAttemptAt ? { nextAttemptAt: s.nextAttemptAt.toISOString() } : {}),
    ...(s.error ? { error: s.error } : {}),
    ...(s.reason ? { reason: s.reason } : {}),
  };
}

export function instanceSummary(i: FlowInstance): InstanceSummary {
  return {
    id: i._id,
    flowId: i.flowId,
    flowVersion: i.flowVersion,
    messageId: i.messageId,
    channelId: i.channelId,
    status: i.status,
    createdAt: i.createdAt.toISOString(),
    updatedAt: i.updatedAt.toISOString(),
    steps: Object.fromEntries(Object.entries(i.steps).map(([id, s]) => [id, stepSummary(s)])),
  };
}

/** An instance in full; request and output values masked (shape kept) unless `phi`. */
export function instanceDetail(i: FlowInstance, o: { view: FlowView; phi: boolean; canOperate: boolean }): InstanceDetail {
  const show = (v: Record<string, unknown> | undefined) =>
    v === undefined ? undefined : o.phi ? v : (maskLeaves(v) as Record<string, unknown>);
  const steps = Object.fromEntries(
    Object.entries(i.steps).map(([id, s]): [string, StepDetail] => {
      const request = show(s.request);
      const output = show(s.output);
      return [
        id,
        {
          ...stepSummary(s),
          ...(request ? { request } : {}),
          ...(output ? { output } : {}),
          ...(s.startedAt ? { startedAt: s.startedAt.toISOString() } : {}),
          ...(s.durationMs !== undefined ? { durationMs: s.durationMs } : {}),
          ...(s.compensationError ? { compensationError: s.compensationError } : {}),
        },
      ];
    }),
  );
  return {
    ...instanceSummary(i),
    steps,
    flow: o.view,
    ...(i.abort ? { abort: { ...i.abort, at: i.abort.at.toISOString() } } : {}),
    canOperate: o.canOperate,
    phi: o.phi,
  };
}

/** Every leaf value replaced by `***`, keys and nesting kept. */
export function maskLeaves(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(maskLeaves);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, maskLeaves(x)]));
  return v === null || v === undefined ? v : MASK;
}
