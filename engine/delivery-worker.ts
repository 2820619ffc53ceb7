import { DelayedError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { DestinationConnector, DestinationDefinition } from './connector.ts';
import { DEFAULT_RETRY, type DestinationSpec, type RetryPolicy } from './channel.ts';
import { SwitchboardError, toDeliveryFailure } from './errors.ts';
import type { Logger } from './log.ts';
import { closeWorker, deliveryQueueName, logFailedJobs, workerOptions, type DeliveryJobData } from './queue/queues.ts';
import type { DeliveryHandoff } from './queue/handoff.ts';
import { decideRetry } from './retry-policy.ts';
import type { Store } from './store/store.ts';
import { eventsFor, type DeliveryAttempt } from './store/message-record.ts';
import { DeliveryStatus, isTerminalDelivery } from './store/states.ts';
import { applyDataPolicy, DEFAULT_DATA_POLICY } from './security/data-policy.ts';
import { canonicalSchema } from '../transforms/canonical/index.ts';

/** How soon a delivery held behind an earlier message of its key looks again. */
const HELD_RECHECK_MS = 250;

export interface DeliveryWorkerOptions {
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
    this.worker = new Worker<DeliveryJobData>(deliveryQueueName(options.spec.id), (job, token) => this.process(job, token), workerOptions(options.worker));
    this.worker.on('error', (err) => options.log.warn('delivery worker connection error', { destinationId: options.spec.id, error: err.name }));
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
    const { store, connector } = this.options;
    const log = this.options.log.child({ messageId, destinationId });
    const handedOver = job.data.fresh ? this.options.handoff?.take(messageId, destinationId) : undefined;
    const message = handedOver ?? (await store.messages.getForDelivery(messageId));
    const delivery = message?.deliveries[destinationId];
    if (!message || !delivery || isTerminalDelivery(delivery.status) || !message.canonical) return;

    const ordering = this.options.spec.ordering;
    if (ordering && delivery.orderKey) {
      const blocker = await store.deliveryState.findOrderBlocker({ id: messageId, destinationId, orderKey: delivery.orderKey, deadBlocks: ordering.onHeadFailure === 'block' });
      if (blocker) {
        // Held behind an earlier message of the same key: look again soon, spending no attempt.
        await job.moveToDelayed(Date.now() + HELD_RECHECK_MS, token);
        throw new DelayedError();
      }
    }
    const events = eventsFor(message, this.options.spec.models);
    const policy = this.options.spec.dataPolicy ?? DEFAULT_DATA_POLICY;
    const round = delivery.replayId;
    const attempt = delivery.attempts.filter((a) => a.outcome !== 'not-connected' && a.replayId === round).length + 1;
    const started = Date.now();
    let sent = delivery.sentEvents;
    const documentIds = [...(delivery.peerDocumentIds ?? [])];
    let lastResponse = '';
    try {
      await this.ensureConnected();
      for (; sent < events.length; sent++) {
        const key = events.length > 1 ? `${delivery.idempotencyKey}:${sent + 1}` : delivery.idempotencyKey;
        const { model, modelVersion, event } = events[sent]!;
        const schema = canonicalSchema(model, modelVersion);
        if (!schema) throw new SwitchboardError('CANONICAL_INVALID', `no schema for ${model} v${modelVersion}`);
        const payload = { model, modelVersion, event: (applyDataPolicy(schema, event, policy, this.options.pseudonymKey) ?? {}) as Record<string, unknown> };
        const result = await connector.send(payload, { idempotencyKey: key, attempt, signal: this.abort.signal, log });
        lastResponse = result.responseSummary;
        if (result.peerDocumentId) documentIds.push(result.peerDocumentId);
      }
    } catch (err) {
      // A failure no one classified is a defect (INTERNAL, permanent: dead at once, the error recorded);
      // network errors escaping a connector are the peer's, a driver's outage is the store's.
      const e = toDeliveryFailure(err);
      if (e.code === 'STORE_UNAVAILABLE') throw e;
      const decision = decideRetry({
        policy: this.policy,
        failureClass: e.failureClass,
        attempt,
        idempotent: this.options.definition.idempotent,
        ...(e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : {}),
      });
      const record: DeliveryAttempt = {
        at: new Date(started),
        attempt,
        ...(round ? { replayId: round } : {}),
        outcome: e.failureClass,
        errorCode: e.code,
        error: e.message,
        ...(e.peerResponse ? { response: e.peerResponse } : {}),
        durationMs: Date.now() - started,
      };
      const lastError = { code: e.code, detail: e.message, ...(e.peerResponse ? { response: e.peerResponse } : {}) };
      if (decision.retry) {
        log.info('delivery failed; will retry', { code: e.code, attempt, delayMs: decision.delayMs });
        const nextAttemptAt = new Date(Date.now() + decision.delayMs);
        await store.deliveryState.update(messageId, destinationId, { status: DeliveryStatus.retrying, attempt: record, sentEvents: sent, lastError, nextAttemptAt, peerDocumentIds: documentIds });
        await job.moveToDelayed(nextAttemptAt.getTime(), token);
        throw new DelayedError();
      }
      log.warn('delivery dead', { code: e.code, attempt, reason: decision.reason });
      await store.deliveryState.update(messageId, destinationId, { status: DeliveryStatus.dead, seen: message, attempt: record, sentEvents: sent, lastError, peerDocumentIds: documentIds });
      return;
    }
    const record: DeliveryAttempt = { at: new Date(started), attempt, ...(round ? { replayId: round } : {}), outcome: DeliveryStatus.delivered, response: lastResponse, durationMs: Date.now() - started };
    await store.deliveryState.update(messageId, destinationId, { status: DeliveryStatus.delivered, seen: message, attempt: record, sentEvents: sent, peerDocumentIds: documentIds });
    log.info('delivered', { attempt, events: events.length });
  }
}
