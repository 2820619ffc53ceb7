import { DelayedError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { DEFAULT_RETRY } from '../channel.ts';
import type { ConnectorRegistry } from '../connector.ts';
import { SwitchboardError, toDeliveryFailure } from '../errors.ts';
import type { Logger } from '../log.ts';
import { closeWorker, logFailedJobs, workerOptions } from '../queue/queues.ts';
import { decideRetry } from '../retry-policy.ts';
import type { CanonicalEvent } from '../store/message-record.ts';
import type { FlowInstance } from '../store/flows.store.ts';
import type { Store } from '../store/store.ts';
import { advance } from './flow-advance.ts';
import type { FlowCatalog } from './flow-catalog.ts';
import type { FlowCounters } from './flow-counters.ts';
import { flowQueueName, type FlowJobData, type FlowQueues } from './flow-queues.ts';
import type { FlowDefinition, FlowStepDefinition } from './flow-schema.ts';
import { FlowStatus, StepKind, StepStatus } from './flow-states.ts';
import { runCompensations } from './compensations.ts';
import { StepConnectors } from './step-connectors.ts';
import { planStepRequest } from './step-request.ts';
import { readySteps } from './step-planner.ts';
import type { Span } from '@opentelemetry/api';
import { SpanAttribute } from '../ops/tracing/span-attributes.ts';
import { endSpan, SpanName } from '../ops/tracing/spans.ts';
import { carrierOf } from '../ops/tracing/trace-carrier.ts';
import { startWorkSpan, tracedSend } from '../ops/tracing/work-spans.ts';

export interface FlowWorkerOptions {
  flowId: string;
  catalog: FlowCatalog;
  store: Store;
  queues: FlowQueues;
  counters: FlowCounters;
  connectors: ConnectorRegistry;
  env: NodeJS.ProcessEnv;
  pseudonymKey?: Buffer;
  worker: { connection: ConnectionOptions; prefix: string; concurrency: number };
  log: Logger;
}

/** One step job as the runner's parts share it. */
interface StepRun {
  job: Job<FlowJobData>;
  token: string | undefined;
  flow: FlowDefinition;
  step: FlowStepDefinition;
  instance: FlowInstance;
  attempt: number;
  started: number;
  log: Logger;
  /** The request sent, once worked out. */
  request?: Record<string, unknown>;
  /** The step's span, while tracing is on, and how it ended (none: the step was not due after all). */
  span?: Span | undefined;
  ended?: { outcome: string; errorCode?: string };
}

/** Events of instances kept by a worker for their next steps. */
const EVENT_CACHE = 1000;

const RUNNABLE: readonly StepStatus[] = [StepStatus.waiting, StepStatus.running, StepStatus.retrying];

/**
 * Runs one flow's steps (issue 24), from its queue (`flow.<flowId>`, FlowQueues). A step job reads
 * the instance from the store and runs the step only if it is due (waiting with every dependency
 * passed, or running or retrying: a job run again after a crash); it claims the step with a
 * conditional update, sends its request (planStepRequest) with the idempotency key
 * `<instanceId>:<stepId>`, stores the answer as the step's output, and only then queues the steps
 * that depend on it (advance). A failure is classified where it happened: the step's retry policy
 * (the destination default otherwise) decides from its class, as for deliveries (decideRetry); a
 * retry is BullMQ's delayed set, out of attempts or permanent is `dead`, which parks the steps that
 * depend on it. A store outage is thrown for BullMQ to retry without spending an attempt. Jobs
 * without a step run the instance's compensations after an abort (compensations.ts).
 */
export class FlowWorker {
  private readonly worker: Worker<FlowJobData>;
  private readonly abort = new AbortController();
  private readonly connectors: StepConnectors;
  private readonly events = new Map<string, CanonicalEvent>();

  constructor(private readonly o: FlowWorkerOptions) {
    this.connectors = new StepConnectors({ connectors: o.connectors, env: o.env, log: o.log, signal: this.abort.signal });
    this.worker = new Worker<FlowJobData>(flowQueueName(o.flowId), (job, token) => this.process(job, token), workerOptions(o.worker));
    this.worker.on('error', (err) => o.log.warn('flow worker connection error', { flowId: o.flowId, error: err.name }));
    logFailedJobs(this.worker, o.log);
  }

  start(): void {
    if (!this.worker.isRunning()) void this.worker.run();
  }

  async close(graceMs: number): Promise<void> {
    await closeWorker(this.worker, graceMs);
    this.abort.abort();
    await this.connectors.close();
  }

  private async process(job: Job<FlowJobData>, token?: string): Promise<void> {
    const instance = await this.o.store.flows.get(job.data.instanceId);
    if (!instance) return;
    const flow = await this.o.catalog.at(instance.flowId, instance.flowVersion);
    if (!flow) {
      this.o.log.warn('flow version not stored; instance left as it is', { instanceId: instance._id, version: instance.flowVersion });
      return;
    }
    const deps = { store: this.o.store, queues: this.o.queues, counters: this.o.counters, log: this.o.log };
    if (!job.data.stepId) {
      const ctx = { ...deps, connectors: this.connectors, signal: this.abort.signal, ...this.keyOpt() };
      return runCompensations(ctx, { flow, instance, job, token, event: () => this.eventOf(instance) });
    }
    const step = flow.steps.find((s) => s.id === job.data.stepId);
    const state = instance.steps[job.data.stepId];
    if (!step || !state || instance.status === FlowStatus.aborting || instance.status === FlowStatus.aborted) return;
    if (!RUNNABLE.includes(state.status)) return;
    if (state.status === StepStatus.waiting && !readySteps(flow, instance.steps).includes(step.id)) return;
    const log = this.o.log.child({ instanceId: instance._id, stepId: step.id });
    const run: StepRun = { job, token, flow, step, instance, attempt: state.attempts + 1, started: Date.now(), log };
    run.span = startWorkSpan({ name: SpanName.flowStep, job: job.data, stored: instance, attributes: stepIds(run) });
    try {
      await this.runStep(run);
    } finally {
      endSpan(run.span, run.ended ?? { outcome: 'skipped' });
    }
    // The steps it makes due are queued as its children.
    await advance(deps, flow, instance._id, carrierOf(run.span));
  }

  /** Claims the step, works out and sends its request, and records the answer or the failure. */
  private async runStep(r: StepRun): Promise<void> {
    const { instance, step } = r;
    const id = instance._id;
    const from = [instance.steps[step.id]!.status];
    const claim = { attempts: r.attempt, startedAt: new Date(r.started) };
    if (!(await this.o.store.flows.transition({ id, stepId: step.id, from, to: StepStatus.running, set: claim, unset: ['nextAttemptAt'] })))
      return;
    this.o.counters.stepStarted(instance.flowId, step.id);
    let output: Record<string, unknown> | undefined;
    try {
      const event = await this.eventOf(instance);
      const planned = planStepRequest(step, event, instance.steps, this.o.pseudonymKey);
      if (planned.runs) {
        r.request = planned.request;
        output = await this.send(r, event, planned.request);
      }
    } catch (err) {
      return this.failed(toDeliveryFailure(err), r);
    }
    const durationMs = Date.now() - r.started;
    const done = { durationMs, ...(output ? { output } : {}), ...(r.request ? { request: r.request } : {}) };
    // Not running any more: another copy of this job (Redis flushed while it ran) recorded it first.
    if (
      !(await this.o.store.flows.transition({
        id,
        stepId: step.id,
        from: [StepStatus.running],
        to: StepStatus.done,
        set: done,
        unset: ['error'],
      }))
    )
      return;
    this.o.counters.stepEnded(instance.flowId, step.id, 'done', durationMs);
    r.ended = { outcome: StepStatus.done };
    r.log.info('flow step done', { attempt: r.attempt, ran: output !== undefined });
  }

  /** A `map` step's output is its request; a call or lookup's is the peer's answer as data. */
  private async send(r: StepRun, event: CanonicalEvent, request: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (r.step.kind === StepKind.map) return request;
    const { connector } = await this.connectors.get(`${r.instance.flowId}@${r.instance.flowVersion}`, r.step, 'call');
    const payload = { model: event.model, modelVersion: event.modelVersion, event: request };
    const ctx = { idempotencyKey: `${r.instance._id}:${r.step.id}`, attempt: r.attempt, signal: this.abort.signal, log: r.log };
    const result = await tracedSend(r.span, { [SpanAttribute.eventModel]: event.model }, (trace) =>
      connector.send(payload, { ...ctx, ...trace }),
    );
    return result.output ?? {};
  }

  /** A failed attempt: retried later (DelayedError) or dead, recorded either way; a store outage is thrown back. */
  private async failed(e: SwitchboardError, r: StepRun): Promise<void> {
    r.ended = { outcome: 'failed', errorCode: e.code };
    if (e.code === 'STORE_UNAVAILABLE') throw e;
    const { instance, step } = r;
    const policy = { ...DEFAULT_RETRY, ...step.retry };
    const decision = decideRetry({
      policy,
      failureClass: e.failureClass,
      attempt: r.attempt,
      idempotent: step.connector ? (this.o.connectors.destination(step.connector.kind)?.idempotent ?? false) : false,
      ...(e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : {}),
    });
    const durationMs = Date.now() - r.started;
    const error = { code: e.code, detail: e.message };
    const set = { error, durationMs, ...(r.request ? { request: r.request } : {}) };
    const target = { id: instance._id, stepId: step.id, from: [StepStatus.running] };
    r.ended = { outcome: decision.retry ? StepStatus.retrying : StepStatus.dead, errorCode: e.code };
    if (decision.retry) {
      const nextAttemptAt = new Date(Date.now() + decision.delayMs);
      await this.o.store.flows.transition({ ...target, to: StepStatus.retrying, set: { ...set, nextAttemptAt } });
      this.o.counters.stepEnded(instance.flowId, step.id, 'retrying', durationMs);
      r.log.info('flow step failed; will retry', { code: e.code, attempt: r.attempt, delayMs: decision.delayMs });
      await r.job.moveToDelayed(nextAttemptAt.getTime(), r.token);
      throw new DelayedError();
    }
    await this.o.store.flows.transition({ ...target, to: StepStatus.dead, set });
    this.o.counters.stepEnded(instance.flowId, step.id, 'dead', durationMs);
    r.log.warn('flow step dead', { code: e.code, attempt: r.attempt, reason: decision.reason });
  }

  /**
   * The canonical event that started the instance; CANONICAL_INVALID (permanent) when the message no
   * longer holds it. Kept for the instance's next steps (at most EVENT_CACHE of them, oldest out):
   * every step of an instance reads the same event, and reading the message is two store reads.
   */
  private async eventOf(instance: FlowInstance): Promise<CanonicalEvent> {
    const key = `${instance.messageId}:${instance.eventIndex}`;
    const known = this.events.get(key);
    if (known) return known;
    const message = await this.o.store.messages.get(instance.messageId);
    const event = message?.canonical?.events[instance.eventIndex];
    if (!event) throw new SwitchboardError('CANONICAL_INVALID', `message ${instance.messageId} holds no event ${instance.eventIndex}`);
    if (this.events.size >= EVENT_CACHE) this.events.delete(this.events.keys().next().value!);
    this.events.set(key, event);
    return event;
  }

  private keyOpt() {
    return this.o.pseudonymKey ? { pseudonymKey: this.o.pseudonymKey } : {};
  }
}

/** A step span's attributes: ids only. */
const stepIds = (r: StepRun) => ({
  [SpanAttribute.channelId]: r.instance.channelId,
  [SpanAttribute.messageId]: r.instance.messageId,
  [SpanAttribute.flowId]: r.instance.flowId,
  [SpanAttribute.flowInstanceId]: r.instance._id,
  [SpanAttribute.stepId]: r.step.id,
  [SpanAttribute.attempt]: r.attempt,
});
