import { DelayedError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { DestinationConnector, DestinationDefinition } from './connector.ts';
import { DEFAULT_RETRY, type DestinationSpec, type RetryPolicy } from './channel.ts';
import { SwitchboardError, toDeliveryFailure } from './errors.ts';
import type { Logger } from './log.ts';
import { closeWorker, deliveryQueueName, logFailedJobs, workerOptions, type DeliveryJobData } from './queue/queues.ts';
import type { DeliveryHandoff } from './queue/handoff.ts';
import { decideRetry } from './retry-policy.ts';
import type { Store } from './store/store.ts';
import { eventsFor, type DeliverableRecord, type DeliveryAttempt, type DeliveryRecord } from './store/message-record.ts';
import { DeliveryStatus, isTerminalDelivery } from './store/states.ts';
import { applyDataPolicy, DEFAULT_DATA_POLICY } from './security/data-policy.ts';
import { canonicalSchema } from '../transforms/canonical/index.ts';
import { engineMetrics } from './metrics/engine-metrics.ts';
import type { Span } from '@opentelemetry/api';
import { SpanAttribute } from './ops/tracing/span-attributes.ts';
import { endSpan, SpanName } from './ops/tracing/spans.ts';
import { startWorkSpan, tracedSend } from './ops/tracing/work-spans.ts';

/** How soon a delivery held behind an earlier message of its key looks again. */
const HELD_RECHECK_MS = 250;

export interface DeliveryWorkerOptions {
  /** The channel whose destination this is: its queue is the channel's (deliveryQueueName). */
  channelId: string;
  spec: DestinationSpec;
  definition: DestinationDefinition;
  connector: DestinationConnector;
  store: Store;
  /** Messages intake of this process has just stored, for the first run of their fresh jobs. */
  handoff?: DeliveryHandoff;
  /** Key for the keyed-HMAC patient pseudonyms of destinations whose policy pseudonymises. */
  pseudonymKey?: Buffer;
  worker: { connection: ConnectionOptions; prefix: string; concurrency: number };
  log: Logger;
}

/** One attempt at one delivery, as the worker's steps share it. */
interface Round {
  job: Job<DeliveryJobData>;
  token: string | undefined;
  message: DeliverableRecord;
  log: Logger;
  attempt: number;
  round: string | undefined;
  started: number;
  /** Events sent so far (of this and earlier attempts), the peer's document ids, its last answer. */
  progress: { sent: number; documentIds: string[]; lastResponse: string };
  /** The attempt's span, while tracing is on. */
  span: Span | undefined;
}

/**
 * Delivers the canonical events of one message to one destination, and records every attempt.
 * Each event is sent with idempotency key `<messageId>:<destinationId>`, suffixed `:<n>` when the
 * message yields several events; progress (`sentEvents`) is saved so a retry resumes after what
 * the peer confirmed. Each event is first cut down to the destination's data policy (by default no
 * direct identifiers reach a destination). The destination's retry policy decides from the failure class
 * (see decideRetry); a retry moves the job to BullMQ's delayed set; exhausted or permanent
 * failures mark the delivery `dead` with the peer's answer; so does an error nobody classified
 * (INTERNAL: a defect, not an outage). Store failures are infrastructure
 * failures: the job is retried by BullMQ without recording an attempt.
 */
export class DeliveryWorker {
  private readonly worker: Worker<DeliveryJobData>;
  private readonly policy: RetryPolicy;
  private connected: Promise<void> | undefined;
  private readonly abort = new AbortController();

  constructor(private readonly options: DeliveryWorkerOptions) {
    this.policy = { ...DEFAULT_RETRY, ...options.spec.retry };
    this.worker = new Worker<DeliveryJobData>(
      deliveryQueueName(options.channelId, options.spec.id),
      (job, token) => this.process(job, token),
      workerOptions(options.worker),
    );
    this.worker.on('error', (err) =>
      options.log.warn('delivery worker connection error', {
        channelId: options.channelId,
        destinationId: options.spec.id,
        error: err.name,
      }),
    );
    logFailedJobs(this.worker, options.log);
  }

  start(): void {
    if (!this.worker.isRunning()) void this.worker.run();
  }

  /** Holds this destination's deliveries (jobs in flight finish); `resume()` goes on. For a paused channel. */
  pause(): Promise<void> {
    return this.worker.pause();
  }

  /** Takes deliveries up again after `pause()`. BullMQ's `resume()` never rejects: a failure is emitted as 'error' (logged above). */
  resume(): void {
    void this.worker.resume();
  }

  async close(graceMs: number): Promise<void> {
    await closeWorker(this.worker, graceMs);
    this.abort.abort();
  }

  private ensureConnected(): Promise<void> {
    this.connected ??= this.options.connector.connect(this.abort.signal).catch((err: unknown) => {
      this.connected = undefined;
      throw err instanceof SwitchboardError ? err : new SwitchboardError('PEER_NOT_CONNECTED', 'connect failed', { cause: err });
    });
    return this.connected;
  }

  private async process(job: Job<DeliveryJobData>, token?: string): Promise<void> {
    const { messageId, destinationId } = job.data;
    this.countWait(job);
    const handedOver = job.data.fresh ? this.options.handoff?.take(messageId, destinationId) : undefined;
    const message = handedOver ?? (await this.options.store.messages.getForDelivery(messageId));
    if (!message) return this.options.store.messages.dropOrphanState(messageId);
    const delivery = message.deliveries[destinationId];
    if (!delivery || isTerminalDelivery(delivery.status) || !message.canonical) return;
    await this.waitForHead(job, token, delivery);
    const round = delivery.replayId;
    const attempt = delivery.attempts.filter((a) => a.outcome !== 'not-connected' && a.replayId === round).length + 1;
    const r: Round = {
      job,
      token,
      message,
      log: this.options.log.child({ messageId, destinationId }),
      attempt,
      round,
      started: Date.now(),
      progress: { sent: delivery.sentEvents, documentIds: [...(delivery.peerDocumentIds ?? [])], lastResponse: '' },
      span: this.attemptSpan(job, message, attempt, round),
    };
    const events = eventsFor(message, this.options.spec.models);
    try {
      await this.sendEvents(events, delivery.idempotencyKey, r);
    } catch (err) {
      return this.failed(toDeliveryFailure(err), r);
    }
    endSpan(r.span, { outcome: DeliveryStatus.delivered, attributes: { [SpanAttribute.count]: events.length } });
    const { sent, documentIds: peerDocumentIds, lastResponse } = r.progress;
    const record: DeliveryAttempt = {
      at: new Date(r.started),
      attempt,
      ...(round ? { replayId: round } : {}),
      outcome: DeliveryStatus.delivered,
      response: lastResponse,
      durationMs: Date.now() - r.started,
    };
    await this.options.store.deliveryState.update(messageId, destinationId, {
      status: DeliveryStatus.delivered,
      seen: message,
      attempt: record,
      sentEvents: sent,
      peerDocumentIds,
    });
    r.log.info('delivered', { attempt, events: events.length });
    const labels = [this.options.channelId, destinationId] as const;
    engineMetrics.attempts.inc([...labels, DeliveryStatus.delivered, 'none']);
    engineMetrics.endToEnd.observe(labels, (Date.now() - message.receivedAt.getTime()) / 1000);
    engineMetrics.business.delivered(...labels, events);
  }

  /** The attempt's span (startWorkSpan): a child of the job's queueing span, else of the message's intake span; ids only. */
  private attemptSpan(job: Job<DeliveryJobData>, message: DeliverableRecord, attempt: number, round: string | undefined) {
    return startWorkSpan({
      name: SpanName.deliveryAttempt,
      job: job.data,
      stored: message,
      replayId: round,
      attributes: {
        [SpanAttribute.channelId]: this.options.channelId,
        [SpanAttribute.destinationId]: job.data.destinationId,
        [SpanAttribute.destinationKind]: this.options.definition.kind,
        [SpanAttribute.messageId]: job.data.messageId,
        [SpanAttribute.attempt]: attempt,
        [SpanAttribute.queue]: job.queueName,
      },
    });
  }

  /** The queue wait of a job's first run: from its creation (after any delay it was created with) to now. */
  private countWait(job: Job<DeliveryJobData>): void {
    if (job.attemptsStarted !== 1 || job.processedOn === undefined) return;
    engineMetrics.queueWait.observe([job.queueName], Math.max(0, job.processedOn - job.timestamp - (job.delay ?? 0)) / 1000);
  }

  /** Held behind an earlier message of the same order key: looks again soon, spending no attempt (DelayedError). */
  private async waitForHead(job: Job<DeliveryJobData>, token: string | undefined, delivery: DeliveryRecord): Promise<void> {
    const ordering = this.options.spec.ordering;
    if (!ordering || !delivery.orderKey) return;
    const { messageId: id, destinationId } = job.data;
    const blocker = await this.options.store.deliveryState.findOrderBlocker({
      id,
      destinationId,
      orderKey: delivery.orderKey,
      deadBlocks: ordering.onHeadFailure === 'block',
    });
    if (!blocker) return;
    await job.moveToDelayed(Date.now() + HELD_RECHECK_MS, token);
    throw new DelayedError();
  }

  /** Sends the events not yet sent, in order, each under its own idempotency key, after the data policy; progress is kept in `r`. */
  private async sendEvents(events: ReturnType<typeof eventsFor>, idempotencyKey: string, r: Round): Promise<void> {
    const policy = this.options.spec.dataPolicy ?? DEFAULT_DATA_POLICY;
    await this.ensureConnected();
    for (; r.progress.sent < events.length; r.progress.sent++) {
      const key = events.length > 1 ? `${idempotencyKey}:${r.progress.sent + 1}` : idempotencyKey;
      const { model, modelVersion, event } = events[r.progress.sent]!;
      const schema = canonicalSchema(model, modelVersion);
      if (!schema) throw new SwitchboardError('CANONICAL_INVALID', `no schema for ${model} v${modelVersion}`);
      const payload = {
        model,
        modelVersion,
        event: (applyDataPolicy(schema, event, policy, this.options.pseudonymKey) ?? {}) as Record<string, unknown>,
      };
      const sending = { [SpanAttribute.eventIndex]: r.progress.sent, [SpanAttribute.eventModel]: model };
      const result = await tracedSend(r.span, sending, (trace) =>
        this.options.connector.send(payload, { idempotencyKey: key, attempt: r.attempt, signal: this.abort.signal, log: r.log, ...trace }),
      );
      r.progress.lastResponse = result.responseSummary;
      if (result.peerDocumentId) r.progress.documentIds.push(result.peerDocumentId);
    }
  }

  /**
   * A failed attempt, classified where it happened: retried later (DelayedError) or dead, recorded
   * either way. A failure no one classified is a defect (INTERNAL, permanent: dead at once); network
   * errors escaping a connector are the peer's; a store outage is thrown back for BullMQ to retry.
   */
  private async failed(e: SwitchboardError, r: Round): Promise<void> {
    if (e.code === 'STORE_UNAVAILABLE') {
      endSpan(r.span, { outcome: 'failed', errorCode: e.code });
      throw e;
    }
    const { messageId, destinationId } = r.job.data;
    const { attempt, round, progress } = r;
    const decision = decideRetry({
      policy: this.policy,
      failureClass: e.failureClass,
      attempt,
      idempotent: this.options.definition.idempotent,
      ...(e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : {}),
    });
    const outcome = decision.retry ? DeliveryStatus.retrying : DeliveryStatus.dead;
    engineMetrics.attempts.inc([this.options.channelId, destinationId, outcome, e.code]);
    endSpan(r.span, { outcome, errorCode: e.code });
    const response = e.peerResponse ? { response: e.peerResponse } : {};
    const record: DeliveryAttempt = {
      at: new Date(r.started),
      attempt,
      ...(round ? { replayId: round } : {}),
      outcome: e.failureClass,
      errorCode: e.code,
      error: e.message,
      ...response,
      durationMs: Date.now() - r.started,
    };
    const common = {
      attempt: record,
      sentEvents: progress.sent,
      lastError: { code: e.code, detail: e.message, ...response },
      peerDocumentIds: progress.documentIds,
    };
    if (decision.retry) {
      r.log.info('delivery failed; will retry', { code: e.code, attempt, delayMs: decision.delayMs });
      const nextAttemptAt = new Date(Date.now() + decision.delayMs);
      await this.options.store.deliveryState.update(messageId, destinationId, {
        status: DeliveryStatus.retrying,
        ...common,
        nextAttemptAt,
      });
      await r.job.moveToDelayed(nextAttemptAt.getTime(), r.token);
      throw new DelayedError();
    }
    r.log.warn('delivery dead', { code: e.code, attempt, reason: decision.reason });
    await this.options.store.deliveryState.update(messageId, destinationId, { status: DeliveryStatus.dead, seen: r.message, ...common });
  }
}
