import type { ChannelDefinition } from '../channel.ts';
import { toSwitchboardError } from '../errors.ts';
import { newMessageId } from '../ids.ts';
import type { Logger } from '../log.ts';
import type { DeliveryQueues } from '../queue/delivery-queues.ts';
import { queueDeliveries } from '../queue/queues.ts';
import { planRoute } from '../routing.ts';
import type { Store } from '../store/store.ts';
import type { TransactionEntry } from '../store/transaction-insert.ts';
import type { MessageRecord, RoutePlan } from '../store/message-record.ts';
import { MessageStatus, type MessageStatus as Status } from '../store/states.ts';
import { withTimeout } from '../timeout.ts';
import { codeLabel, engineMetrics, type IntakeOutcome } from '../metrics/engine-metrics.ts';
import type { StoreAndQueue } from './store-and-queue.ts';
import type { Transform } from '../../transforms/dsl/define-transform.ts';
import { searchFieldValues } from './search-field-values.ts';
import type { ReceiptTrace } from '../connector.ts';
import type { Span } from '@opentelemetry/api';
import { SpanAttribute } from '../ops/tracing/span-attributes.ts';
import { endSpan, inSpan, SpanName, startSpan } from '../ops/tracing/spans.ts';
import { receiptSpan } from '../ops/tracing/source-tracing.ts';
import { carrierOf, type TraceCarrier } from '../ops/tracing/trace-carrier.ts';

export type FhirReceipt =
  | { kind: 'accepted' | 'duplicate'; messageId: string; status: Status }
  /** A transform or the canonical model refused it: stored as `errored`, answered 422 naming the field. */
  | { kind: 'unprocessable'; messageId: string; detail: string }
  /** Not stored: the client should retry (503). */
  | { kind: 'unavailable' };

/** What became of a transaction (FhirIntake.submitTransaction). */
export type TransactionReceipt =
  /** Every entry stored, in order; `duplicate`: stored by an earlier attempt of the same transaction. */
  | { kind: 'stored'; entries: { messageId: string; duplicate: boolean }[] }
  /** A transform refused the entry at `index` (its position in Bundle.entry): nothing stored (422). */
  | { kind: 'unprocessable'; index: number; detail: string }
  /** Not stored whole: the client should retry the transaction (503); its retry completes it. */
  | { kind: 'unavailable' }
  /**
   * Its key (Bundle.identifier, If-None-Exist or X-Request-Id) names a transaction stored with other content (409): nothing new is
   * delivered.
   */
  | { kind: 'conflict' };

/**
 * The FHIR front end of intake, with the guarantees of HL7v2 intake: transform at once, store
 * durably and queue deliveries (StoreAndQueue), and only then report success. The FHIR source
 * validates first; intake never throws. A repeated `dedupeId` (Bundle.identifier, If-None-Exist
 * or X-Request-Id, with the entry's position) returns the first outcome again.
 */
export class FhirIntake {
  constructor(
    private readonly options: {
      /** The one store-and-queue step shared with the HL7v2 front end (single resources). */
      core: StoreAndQueue;
      /** For transactions: their entries are stored as a unit (MessageStore.insertTransaction). */
      store: Store;
      transforms: ReadonlyMap<string, Transform>;
      deliveryQueues: DeliveryQueues;
      log: Logger;
      storeTimeoutMs: number;
    },
  ) {}

  async submit(
    channel: ChannelDefinition,
    resource: Record<string, unknown>,
    opts: { dedupeId?: string; client: string; trace?: ReceiptTrace },
  ): Promise<FhirReceipt> {
    const parent = receiptSpan(opts.trace);
    if (!parent) return this.store(channel, resource, opts, undefined);
    const span = this.intakeSpan(parent, channel, resource);
    const receipt = await this.store(channel, resource, opts, span);
    endSpan(span, {
      outcome: receipt.kind,
      attributes: { [SpanAttribute.messageId]: 'messageId' in receipt ? receipt.messageId : undefined },
    });
    return receipt;
  }

  /** A resource's (or a transaction's) intake span, a child of its request's; ids and the resource type only. */
  private intakeSpan(parent: Span, channel: ChannelDefinition, resource?: Record<string, unknown>, entries?: number) {
    return startSpan({
      name: SpanName.intakeFhir,
      parent,
      attributes: {
        [SpanAttribute.channelId]: channel.id,
        [SpanAttribute.resourceType]: resource ? String(resource.resourceType) : undefined,
        [SpanAttribute.count]: entries,
      },
    });
  }

  private async store(
    channel: ChannelDefinition,
    resource: Record<string, unknown>,
    opts: { dedupeId?: string; client: string },
    span: Span | undefined,
  ): Promise<FhirReceipt> {
    const { record, plan } = intakeRecord(channel, this.options.transforms, resource, opts);
    const messageId = record._id;
    const log = this.options.log.child({ messageId, channelId: channel.id });
    const committed = await this.options.core.commit(record, log, span);
    // The FHIR source has validated the resource type before intake.
    const count = engineMetrics.intake.bind(engineMetrics, channel.id, codeLabel(resource.resourceType));
    switch (committed.kind) {
      case 'unavailable':
        count('unavailable', committed.code);
        log.warn('resource not stored; answering 503 so the client retries', { code: committed.code });
        return { kind: 'unavailable' };
      case 'existing': {
        const first = committed.existing;
        count('duplicate');
        if (first.status === MessageStatus.errored)
          return { kind: 'unprocessable', messageId: first._id, detail: first.error?.detail ?? 'transform failed' };
        return { kind: 'duplicate', messageId: first._id, status: first.status };
      }
      case 'stored':
        count(
          plan.status === MessageStatus.errored ? 'errored' : 'accepted',
          plan.status === MessageStatus.errored ? plan.error.code : undefined,
        );
        if (plan.status === MessageStatus.errored) {
          log.warn('transform failed; resource errored', { code: plan.error.code });
          return { kind: 'unprocessable', messageId, detail: plan.error.senderText };
        }
        log.info('resource accepted', { messageType: String(resource.resourceType), status: plan.status });
        return { kind: 'accepted', messageId, status: plan.status };
      default:
        return committed satisfies never;
    }
  }

  /**
   * The entries of a FHIR transaction (Bundle.type `transaction`, FHIR R4 http.html#transaction):
   * all or nothing. Every entry is transformed first; if any fails, nothing is stored and the answer
   * names it (`index`: its position in Bundle.entry). Otherwise all are stored as a unit
   * (MessageStore.insertTransaction), and only then are their deliveries queued. `key` identifies the
   * transaction (Bundle.identifier, If-None-Exist/X-Request-Id, or a hash of its content); entry i
   * is de-duplicated by `<key>#<index>`, so a retry of an attempt that failed half way completes it,
   * and a retry of a stored one returns its entries again (`inserted` false).
   */
  async submitTransaction(
    channel: ChannelDefinition,
    entries: readonly { index: number; resource: Record<string, unknown> }[],
    opts: { key: string; contentHash: string; client: string; trace?: ReceiptTrace },
  ): Promise<TransactionReceipt> {
    const parent = receiptSpan(opts.trace);
    if (!parent) return this.storeTransaction(channel, entries, opts, undefined);
    const span = this.intakeSpan(parent, channel, undefined, entries.length);
    const receipt = await this.storeTransaction(channel, entries, opts, span);
    endSpan(span, { outcome: receipt.kind });
    return receipt;
  }

  private async storeTransaction(
    channel: ChannelDefinition,
    entries: readonly { index: number; resource: Record<string, unknown> }[],
    opts: { key: string; contentHash: string; client: string },
    span: Span | undefined,
  ): Promise<TransactionReceipt> {
    const trace = carrierOf(span);
    const built = entries.map((e) => {
      const { record, plan } = intakeRecord(channel, this.options.transforms, e.resource, {
        dedupeId: `${opts.key}#${e.index}`,
        client: opts.client,
      });
      return { index: e.index, plan, record: { ...record, contentHash: opts.contentHash, ...trace } };
    });
    const log = this.options.log.child({ channelId: channel.id });
    const count = (outcome: IntakeOutcome, code?: string) => countEntries(channel.id, entries, outcome, code);
    for (const { index, plan } of built) {
      if (plan.status !== MessageStatus.errored) continue;
      count('rejected', plan.error.code);
      log.warn('transform failed; transaction refused, nothing stored', { code: plan.error.code });
      return { kind: 'unprocessable', index, detail: plan.error.senderText };
    }
    let stored: TransactionEntry[];
    try {
      const insert = () =>
        withTimeout(
          this.options.store.messages.insertTransaction(built.map((b) => b.record)),
          this.options.storeTimeoutMs,
          'STORE_UNAVAILABLE',
        );
      const attributes = { [SpanAttribute.channelId]: channel.id, [SpanAttribute.count]: built.length };
      stored = await (span
        ? inSpan({ name: SpanName.storeWrite, parent: span, attributes }, insert, () => ({ outcome: 'done' }))
        : insert());
    } catch (err) {
      const e = toSwitchboardError(err);
      count(e.code === 'CONFLICT' ? 'rejected' : 'unavailable', e.code);
      if (e.code === 'CONFLICT') {
        log.warn('transaction key reused with other content; refused', { code: e.code });
        return { kind: 'conflict' };
      }
      log.warn('transaction not stored whole; answering 503 so the client retries', { code: e.code });
      return { kind: 'unavailable' };
    }
    for (const e of this.options.core.watchesFlows(channel.id) ? stored : []) {
      // A retried transaction's entries are the stored ones: their flows are created if a crash left them out.
      const record = built.find((b) => b.record._id === e.messageId)?.record ?? (await this.storedEntry(e.messageId));
      if (!record || (await this.options.core.ensureFlows(record))) return { kind: 'unavailable' };
    }
    await this.queueCommitted(channel.id, stored, trace, log);
    log.info('transaction accepted', { entries: stored.length, stored: stored.filter((e) => e.inserted).length });
    stored.forEach((e, i) =>
      engineMetrics.intake(channel.id, codeLabel(entries[i]?.resource.resourceType), e.inserted ? 'accepted' : 'duplicate'),
    );
    return { kind: 'stored', entries: stored.map((e) => ({ messageId: e.messageId, duplicate: !e.inserted })) };
  }

  /** Queues the deliveries of the entries this call committed, with the intake span's `trace`; a failure is left to the relay. */
  private async queueCommitted(channelId: string, stored: TransactionEntry[], trace: TraceCarrier, log: Logger): Promise<void> {
    try {
      for (const { messageId, destinationIds } of stored.filter((x) => x.committed)) {
        const queued = queueDeliveries(this.options.deliveryQueues, { channelId, messageId, destinationIds, trace });
        await withTimeout(queued, 2000, 'QUEUE_UNAVAILABLE');
      }
    } catch (err) {
      log.warn('transaction stored but not queued; the relay will queue it', { code: toSwitchboardError(err).code });
    }
  }

  /** A stored entry of a retried transaction; undefined when the store cannot say. */
  private storedEntry(messageId: string): Promise<MessageRecord | undefined> {
    return this.options.store.messages.get(messageId).then(
      (m) => m ?? undefined,
      () => undefined,
    );
  }
}

/**
 * A resource's message record as intake stores it (with the values of the channel's search fields), and the route planned
 * for it. Its key is `dedupeKey` when given (a correction's), else `<channel>|fhir|<dedupeId>`, else `fhir|<id>`.
 */
export function intakeRecord(
  channel: ChannelDefinition,
  transforms: ReadonlyMap<string, Transform>,
  resource: Record<string, unknown>,
  opts: { dedupeId?: string; client: string; messageId?: string; dedupeKey?: string },
): { record: MessageRecord; plan: RoutePlan } {
  const receivedAt = new Date();
  const messageId = opts.messageId ?? newMessageId(receivedAt.getTime());
  const type = String(resource.resourceType);
  const controlId = typeof resource.id === 'string' ? resource.id : messageId;
  const plan = planRoute({
    channel,
    transforms,
    messageId,
    input: { kind: 'fhir', resource },
    type,
    source: { channelId: channel.id, messageType: type, controlId, sendingApplication: opts.client, sendingFacility: '' },
  });
  const errored = plan.status === MessageStatus.errored;
  const fields = searchFieldValues(channel, { kind: 'fhir', resource });
  const record: MessageRecord = {
    _id: messageId,
    channelId: channel.id,
    format: 'fhir',
    receivedAt,
    updatedAt: receivedAt,
    dedupeKey: opts.dedupeKey ?? (opts.dedupeId ? `${channel.id}|fhir|${opts.dedupeId}` : `fhir|${messageId}`),
    raw: Buffer.from(JSON.stringify(resource), 'utf8'),
    charset: 'UNICODE UTF-8',
    summary: {
      messageType: type,
      triggerEvent: '',
      controlId,
      sendingApplication: opts.client,
      sendingFacility: '',
      mrn: patientId(resource),
    },
    status: plan.status,
    deliveries: errored ? {} : plan.deliveries,
    ...(errored ? { error: { code: plan.error.code, detail: plan.error.message } } : { canonical: { events: plan.events } }),
    ...(plan.status === MessageStatus.filtered ? { filteredReason: plan.reason } : {}),
    ack: { code: errored ? 'AE' : 'AA', ...(errored ? { text: plan.error.senderText } : {}), sentAt: receivedAt },
    ...(fields ? { searchFieldValues: fields } : {}),
  };
  return { record, plan };
}

/** A searchable patient key for the summary: the Patient's MR identifier, or the subject/patient reference id. */
function patientId(resource: Record<string, unknown>): string {
  const ref = (resource.subject ?? resource.patient) as { reference?: string } | undefined;
  if (resource.resourceType === 'Patient') {
    const ids = (resource.identifier ?? []) as { value?: string; type?: { coding?: { code?: string }[] } }[];
    return ids.find((i) => i.type?.coding?.some((c) => c.code === 'MR'))?.value ?? String(resource.id ?? '');
  }
  return ref?.reference?.replace(/^Patient\//, '') ?? '';
}

/** Counts every entry of a transaction refused or not stored whole (one outcome for all: the transaction is one unit). */
function countEntries(channelId: string, entries: readonly { resource: Record<string, unknown> }[], outcome: IntakeOutcome, code?: string) {
  for (const e of entries) engineMetrics.intake(channelId, codeLabel(e.resource.resourceType), outcome, code);
}
