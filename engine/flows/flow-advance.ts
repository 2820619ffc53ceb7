import type { Logger } from '../log.ts';
import { toSwitchboardError } from '../errors.ts';
import type { FlowInstance } from '../store/flows.store.ts';
import type { Store } from '../store/store.ts';
import type { FlowDefinition } from './flow-schema.ts';
import type { FlowCounters } from './flow-counters.ts';
import type { FlowQueues } from './flow-queues.ts';
import { FlowStatus, StepStatus } from './flow-states.ts';
import { flowStatus, readySteps, stepsToPark } from './step-planner.ts';
import type { TraceCarrier } from '../ops/tracing/trace-carrier.ts';

/** What advancing an instance needs: the store, the counters, the flows' queues, a log. */
export interface AdvanceDeps {
  store: Pick<Store, 'flows'>;
  counters: FlowCounters;
  queues: FlowQueues;
  log: Logger;
}

/**
 * Moves an instance on after one of its steps changed (the step runner after each step, an
 * operator's retry or skip, the relay): parks the waiting steps a dead step blocks, queues the
 * steps whose dependencies have all passed, and sets the instance's status from its steps. Safe to
 * run twice or at once in two processes: parking is conditional, queueing is by deterministic job
 * id, and the status is written only while the steps are as read (FlowStore.setStatus), else read
 * again (5 times). A queue failure is logged: the relay queues what is due. Gives the instance as
 * last read, or undefined when it is gone. `trace`: the span that moved it on (a step's), put in the jobs it queues.
 */
export async function advance(
  deps: AdvanceDeps,
  flow: FlowDefinition,
  id: string,
  trace?: TraceCarrier,
): Promise<FlowInstance | undefined> {
  for (let tries = 0; tries < 5; tries++) {
    const instance = await deps.store.flows.get(id);
    if (!instance) return undefined;
    if (instance.status === FlowStatus.aborting || instance.status === FlowStatus.aborted) return instance;
    const steps = { ...instance.steps };
    for (const stepId of stepsToPark(flow, steps)) {
      if (await deps.store.flows.transition({ id, stepId, from: [StepStatus.waiting], to: StepStatus.parked }))
        steps[stepId] = { ...steps[stepId]!, status: StepStatus.parked };
    }
    await queueReady(deps, instance, readySteps(flow, steps), trace);
    const status = flowStatus(flow, steps);
    const seen = { ...instance, steps };
    if (status === instance.status) return seen;
    if (await deps.store.flows.setStatus(seen, status)) {
      if (status === FlowStatus.completed) deps.counters.instanceCompleted(instance.flowId);
      return { ...seen, status };
    }
  }
  return deps.store.flows.get(id);
}

async function queueReady(deps: AdvanceDeps, instance: FlowInstance, ready: readonly string[], trace?: TraceCarrier): Promise<void> {
  if (ready.length === 0) return;
  try {
    await deps.queues.steps(instance, ready, trace);
  } catch (err) {
    deps.log.warn('flow steps not queued; the relay will queue them', { instanceId: instance._id, code: toSwitchboardError(err).code });
  }
}
