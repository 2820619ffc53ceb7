import { DelayedError, type Job } from 'bullmq';
import { toDeliveryFailure } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { CanonicalEvent } from '../store/message-record.ts';
import type { FlowInstance } from '../store/flows.store.ts';
import type { Store } from '../store/store.ts';
import type { FlowJobData } from './flow-queues.ts';
import type { FlowDefinition } from './flow-schema.ts';
import { FlowStatus, StepStatus } from './flow-states.ts';
import type { StepConnectors } from './step-connectors.ts';
import { compensationRequest } from './step-request.ts';
import { compensationOrder } from './step-planner.ts';

/** How long a compensation that failed for a passing reason waits before it is tried again. */
export const UNDO_RETRY_MS = 5000;

export interface CompensationContext {
  store: Pick<Store, 'flows'>;
  connectors: StepConnectors;
  signal: AbortSignal;
  log: Logger;
  pseudonymKey?: Buffer;
}

/**
 * Undoes an aborted instance (status `aborting`): the compensation of each done step that has one,
 * latest first (each before every step it depends on: compensationOrder), with the idempotency key
 * `<instanceId>:<stepId>:undo`; each compensated step is recorded before the next starts, so a run
 * cut short goes on where it stopped. When all are done the instance is `aborted`. A compensation
 * that fails for a passing reason is tried again after UNDO_RETRY_MS (BullMQ's delayed set); one
 * refused for good is recorded on its step (`compensationError`) and the run stops there, the
 * instance still `aborting`: an operator's next abort runs it again. A store outage is thrown for
 * BullMQ to retry.
 */
export async function runCompensations(
  ctx: CompensationContext,
  r: {
    flow: FlowDefinition;
    instance: FlowInstance;
    job: Job<FlowJobData>;
    token: string | undefined;
    event: () => Promise<CanonicalEvent>;
  },
): Promise<void> {
  const { flow, instance } = r;
  if (instance.status !== FlowStatus.aborting) return;
  const id = instance._id;
  const log = ctx.log.child({ instanceId: id });
  for (const stepId of compensationOrder(flow, instance.steps)) {
    const step = flow.steps.find((s) => s.id === stepId)!;
    try {
      const event = await r.event();
      const request = compensationRequest(step, event, instance.steps, ctx.pseudonymKey);
      const { connector } = await ctx.connectors.get(`${instance.flowId}@${instance.flowVersion}`, step, 'undo');
      await connector.send(
        { model: event.model, modelVersion: event.modelVersion, event: request },
        { idempotencyKey: `${id}:${stepId}:undo`, attempt: 1, signal: ctx.signal, log },
      );
    } catch (err) {
      const e = toDeliveryFailure(err);
      if (e.code === 'STORE_UNAVAILABLE') throw e;
      const compensationError = { code: e.code, detail: e.message };
      await ctx.store.flows.transition({ id, stepId, from: [StepStatus.done], to: StepStatus.done, set: { compensationError } });
      if (e.failureClass === 'permanent') {
        log.warn('compensation refused; the flow stays aborting until an operator aborts it again', { stepId, code: e.code });
        return;
      }
      log.info('compensation failed; will retry', { stepId, code: e.code });
      await r.job.moveToDelayed(Date.now() + UNDO_RETRY_MS, r.token);
      throw new DelayedError();
    }
    await ctx.store.flows.transition({ id, stepId, from: [StepStatus.done], to: StepStatus.compensated, unset: ['compensationError'] });
    log.info('flow step compensated', { stepId });
  }
  for (let tries = 0; tries < 5; tries++) {
    const latest = await ctx.store.flows.get(id);
    if (!latest || latest.status !== FlowStatus.aborting) return;
    if (await ctx.store.flows.setStatus(latest, FlowStatus.aborted)) return;
  }
}
