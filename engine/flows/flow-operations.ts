import { AuditAction, type AuditLog } from '../audit/audit-log.ts';
import { diffValues } from '../audit/config-audit.ts';
import { SwitchboardError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { FlowInstance } from '../store/flows.store.ts';
import type { Store } from '../store/store.ts';
import { advance } from './flow-advance.ts';
import type { FlowCatalog } from './flow-catalog.ts';
import type { FlowCounters } from './flow-counters.ts';
import type { FlowQueues } from './flow-queues.ts';
import type { FlowDefinition } from './flow-schema.ts';
import { FlowStatus, StepStatus } from './flow-states.ts';
import type { RetryPreview } from './flow-view.ts';
import { planStepRequest } from './step-request.ts';
import { stepsToUnpark } from './step-planner.ts';

/** How often abort reads an instance the engine changed under it again before it answers CONFLICT. */
const ABORT_TRIES = 5;

/** Who acts, for the audit log. */
export interface Operator {
  username: string;
  sourceIp?: string;
}

/**
 * What support does to a flow instance (issue 24), each audited with who, the instance, the step
 * and the reason:
 * - `retry` a dead step (after a fix): it waits again with a fresh retry budget, the steps it
 *   parked wait again, and the instance moves on; `previewRetry` shows first what the retry would
 *   send beside what the last attempt sent;
 * - `skip` a dead, parked, waiting or retrying step with a reason: its dependents go on without its output;
 * - `abort` the instance with a reason: the compensations of its done steps run, latest first
 *   (compensations.ts). Refused while a step is running (its answer could land after the undo).
 * NOT_FOUND for an unknown instance or step, CONFLICT when the step or instance is not in a state
 * the action applies to.
 */
export class FlowOperations {
  constructor(
    private readonly o: {
      catalog: FlowCatalog;
      store: Pick<Store, 'flows' | 'messages'>;
      queues: FlowQueues;
      counters: FlowCounters;
      audit: AuditLog;
      log: Logger;
      pseudonymKey?: Buffer;
    },
  ) {}

  async previewRetry(id: string, stepId: string): Promise<RetryPreview> {
    const { instance, flow } = await this.load(id, stepId);
    const step = flow.steps.find((s) => s.id === stepId)!;
    const message = await this.o.store.messages.get(instance.messageId);
    const event = message?.canonical?.events[instance.eventIndex];
    if (!event) throw new SwitchboardError('NOT_FOUND', `the message of instance ${id} holds no event ${instance.eventIndex}`);
    const planned = planStepRequest(step, event, instance.steps, this.o.pseudonymKey);
    const after = planned.runs ? planned.request : {};
    const before = instance.steps[stepId]!.request;
    const changes = diffValues(before ?? {}, after).map((c) => ({
      field: c.path,
      ...(c.before !== null ? { before: JSON.parse(c.before) as unknown } : {}),
      ...(c.after !== null ? { after: JSON.parse(c.after) as unknown } : {}),
    }));
    return { ...(before ? { before } : {}), after, changes };
  }

  async retry(id: string, stepId: string, by: Operator): Promise<FlowInstance> {
    const { instance, flow } = await this.load(id, stepId);
    this.refuseSettled(instance);
    const moved = await this.o.store.flows.transition({
      id,
      stepId,
      from: [StepStatus.dead],
      to: StepStatus.waiting,
      set: { attempts: 0 },
      unset: ['nextAttemptAt'],
    });
    if (!moved)
      throw new SwitchboardError('CONFLICT', `step ${stepId} is ${instance.steps[stepId]!.status}, not dead: only a dead step is retried`);
    await this.unpark(flow, instance, stepId);
    await this.audited(AuditAction.flowRetry, by, instance, { step: stepId });
    return this.moveOn(flow, instance);
  }

  async skip(id: string, stepId: string, reason: string, by: Operator): Promise<FlowInstance> {
    const { instance, flow } = await this.load(id, stepId);
    this.refuseSettled(instance);
    const from = [StepStatus.dead, StepStatus.parked, StepStatus.waiting, StepStatus.retrying];
    if (!(await this.o.store.flows.transition({ id, stepId, from, to: StepStatus.skipped, set: { reason }, unset: ['nextAttemptAt'] })))
      throw new SwitchboardError('CONFLICT', `step ${stepId} is ${instance.steps[stepId]!.status}: it cannot be skipped now`);
    await this.unpark(flow, instance, stepId);
    await this.audited(AuditAction.flowSkip, by, instance, { step: stepId, reason });
    return this.moveOn(flow, instance);
  }

  /**
   * Sets the instance `aborting` and queues its compensation run. The engine may change the
   * instance between this read and the conditional write (a step runner setting its status after a
   * step died); that is read again, up to ABORT_TRIES times, and only then CONFLICT.
   */
  async abort(id: string, reason: string, by: Operator): Promise<FlowInstance> {
    for (let tries = 1; ; tries++) {
      const { instance } = await this.load(id);
      this.refuseSettled(instance);
      if (instance.status === FlowStatus.aborting) {
        // Aborted before and a compensation refused: run them again (after a fix).
        await this.o.queues.ensureUndo(instance);
        await this.audited(AuditAction.flowAbort, by, instance, { reason, again: true });
        return instance;
      }
      const running = Object.entries(instance.steps).find(([, s]) => s.status === StepStatus.running);
      if (running) throw new SwitchboardError('CONFLICT', `step ${running[0]} is running: abort once it has finished`);
      const abort = { by: by.username, reason, at: new Date() };
      if (await this.o.store.flows.setStatus(instance, FlowStatus.aborting, abort)) {
        await this.o.queues.ensureUndo(instance);
        await this.audited(AuditAction.flowAbort, by, instance, { reason });
        return { ...instance, status: FlowStatus.aborting, abort };
      }
      if (tries === ABORT_TRIES) throw new SwitchboardError('CONFLICT', `instance ${id} kept changing; look again`);
    }
  }

  private async load(id: string, stepId?: string): Promise<{ instance: FlowInstance; flow: FlowDefinition }> {
    const instance = await this.o.store.flows.get(id);
    if (!instance) throw new SwitchboardError('NOT_FOUND', `no flow instance ${id}`);
    const flow = await this.o.catalog.at(instance.flowId, instance.flowVersion);
    if (!flow) throw new SwitchboardError('NOT_FOUND', `flow ${instance.flowId} version ${instance.flowVersion} is not stored`);
    if (stepId !== undefined && !instance.steps[stepId])
      throw new SwitchboardError('NOT_FOUND', `flow ${instance.flowId} has no step ${stepId}`);
    return { instance, flow };
  }

  private refuseSettled(instance: FlowInstance): void {
    if (instance.status === FlowStatus.completed || instance.status === FlowStatus.aborted)
      throw new SwitchboardError('CONFLICT', `instance ${instance._id} is ${instance.status}`);
  }

  /** The steps `stepId` no longer blocks wait again. */
  private async unpark(flow: FlowDefinition, instance: FlowInstance, stepId: string): Promise<void> {
    for (const parked of stepsToUnpark(flow, instance.steps, stepId))
      await this.o.store.flows.transition({ id: instance._id, stepId: parked, from: [StepStatus.parked], to: StepStatus.waiting });
  }

  private async moveOn(flow: FlowDefinition, instance: FlowInstance): Promise<FlowInstance> {
    return (await advance(this.o, flow, instance._id)) ?? instance;
  }

  private audited(action: AuditAction, by: Operator, instance: FlowInstance, details: Record<string, unknown>) {
    return this.o.audit.append({
      actor: by.username,
      action,
      outcome: 'success',
      target: `flow-instance:${instance._id}`,
      details: { flow: instance.flowId, ...details },
      ...(by.sourceIp ? { sourceIp: by.sourceIp } : {}),
    });
  }
}
