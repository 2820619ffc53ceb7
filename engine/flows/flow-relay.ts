import type { Logger } from '../log.ts';
import type { FlowInstance } from '../store/flows.store.ts';
import type { Store } from '../store/store.ts';
import { advance } from './flow-advance.ts';
import type { FlowCatalog } from './flow-catalog.ts';
import type { FlowCounters } from './flow-counters.ts';
import type { FlowQueues } from './flow-queues.ts';
import { FlowStatus, StepStatus } from './flow-states.ts';
import { readySteps } from './step-planner.ts';

/**
 * The relay's part for flows (issue 24): as for deliveries, the store is the truth and Redis a
 * cache of work. Each pass (Relay.pass, under its lease) reads the flow instances in flight that
 * no one changed for `staleMs`, and makes sure a job exists for each step that is due: running (its
 * worker may have died, or Redis was flushed), retrying (at its next attempt time), waiting with
 * every dependency passed; and the compensation run of an aborting instance. It then advances the
 * instance (parks, status) and marks it looked at. Adding is safe: job ids are deterministic and
 * the step runner re-reads the store before it acts.
 */
export class FlowRelay {
  constructor(
    private readonly o: {
      catalog: FlowCatalog;
      store: Pick<Store, 'flows'>;
      queues: FlowQueues;
      counters: FlowCounters;
      log: Logger;
      staleMs: number;
      batchSize?: number;
    },
  ) {}

  /** One pass; gives the number of jobs it added. Throws on a store or Redis failure (the Relay logs it). */
  async pass(): Promise<number> {
    const stale = await this.o.store.flows.findUnsettled(new Date(Date.now() - this.o.staleMs), this.o.batchSize ?? 500);
    let added = 0;
    for (const instance of stale) added += await this.cover(instance);
    if (added > 0) this.o.log.info('relay re-queued flow work missing from Redis', { jobs: added });
    return added;
  }

  private async cover(instance: FlowInstance): Promise<number> {
    const flow = await this.o.catalog.at(instance.flowId, instance.flowVersion);
    if (!flow) return 0;
    let added = 0;
    if (instance.status === FlowStatus.aborting) {
      if (await this.o.queues.ensureUndo(instance)) added++;
    } else {
      const ready = new Set(readySteps(flow, instance.steps));
      for (const [stepId, step] of Object.entries(instance.steps)) {
        const due = step.status === StepStatus.running || step.status === StepStatus.retrying || ready.has(stepId);
        if (!due) continue;
        const delayMs = step.status === StepStatus.retrying && step.nextAttemptAt ? step.nextAttemptAt.getTime() - Date.now() : 0;
        if (await this.o.queues.ensureStep(instance, stepId, delayMs)) added++;
      }
      await advance(this.o, flow, instance._id);
    }
    await this.o.store.flows.touch(instance._id);
    return added;
  }
}
