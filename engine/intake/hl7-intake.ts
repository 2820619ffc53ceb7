import {
  buildAck,
  buildBatchAck,
  decodeBytes,
  encodeText,
  Hl7ParseError,
  isBatch,
  parseBatch,
  parseMessage,
  readHeader,
  type Hl7Batch,
  type Hl7Header,
  type Hl7Message,
  type InvalidBytes,
} from '../../hl7v2/index.ts';
import { accepts, type ChannelDefinition } from '../channel.ts';
import { ErrorCatalog, type ErrorCode } from '../errors.ts';
import { summariseHeader } from '../hl7-summary.ts';
import { newMessageId } from '../ids.ts';
import type { Logger } from '../log.ts';
import type { Transform } from '../../transforms/dsl/define-transform.ts';
import type { MessageRecord } from '../store/message-record.ts';
import { MessageStatus } from '../store/states.ts';
import { hl7Record, hl7Type, planHl7 } from './hl7-record.ts';
import { intakeMetrics } from '../metrics/intake-metrics.ts';
import { engineMetrics, typeLabel } from '../metrics/engine-metrics.ts';
import { ackControlId, answer, encoded, worstAck, notAccepted, type IntakeResult, type OneResult } from './hl7-answers.ts';
import type { StoreAndQueue } from './store-and-queue.ts';
import type { ReceiptTrace } from '../connector.ts';
import type { Span } from '@opentelemetry/api';
import { SpanAttribute } from '../ops/tracing/span-attributes.ts';
import { annotate, endSpan, SpanName, startSpan } from '../ops/tracing/spans.ts';
import { receiptSpan } from '../ops/tracing/source-tracing.ts';

export interface Hl7IntakeOptions {
  /** The one store-and-queue step shared with the FHIR front end. */
  core: StoreAndQueue;
  transforms: ReadonlyMap<string, Transform>;
  log: Logger;
}

/** A message as it arrived, with the id and time intake gave it. */
interface Arrival {
  channel: ChannelDefinition;
  bytes: Uint8Array;
  charset: string;
  header: Hl7Header | undefined;
  messageId: string;
  receivedAt: Date;
  /** Its intake span (a child of the frame's), while tracing is on. */
  span?: Span | undefined;
}

/**
 * The HL7v2 front end of intake: parse → accept or reject → filter and transform → store durably
 * and queue deliveries (StoreAndQueue, shared with FHIR) → answer. Called by the MLLP source, once per
 * frame, one frame at a time per connection. It never throws: every outcome is an ACK.
 * - AA only after MongoDB confirmed the write (w: majority, j: true).
 * - AR for input that cannot be parsed, identified or is not accepted (stored as `rejected`), past
 *   the channel's maxEventsPerMessage (MSA-3 naming the cap), and
 *   for bytes not valid in the message's charset (MSH-18, else the channel's `defaultCharset`):
 *   HL7_CHARSET_INVALID, ERR-3 102, MSA-3 naming the charset and where the first bad byte is.
 *   Nothing is decoded with replacement characters. ACKs are written in the message's charset.
 * - AE naming the field when a transform or the canonical model refuses the message (stored as
 *   `errored`, replayable after a fix; the value itself is never echoed).
 * - AE when the store cannot write, so the sender resends; a resend is de-duplicated on
 *   (channel, MSH-3, MSH-4, MSH-10) and gets the stored ACK again, byte for byte, if it has the
 *   same content (store/content-hash.ts); other content reuses the control id: AE (ERR-3 205).
 * - A failure to queue after storing is logged only: the relay queues what the store holds.
 */
export class Hl7Intake {
  constructor(private readonly options: Hl7IntakeOptions) {}

  /** Answers one frame; `defaultCharset` applies when MSH-18 is empty (the source's setting). */
  async submit(
    channel: ChannelDefinition,
    bytes: Uint8Array,
    opts: { defaultCharset?: string; trace?: ReceiptTrace } = {},
  ): Promise<IntakeResult> {
    const decoded = decodeBytes(bytes, { defaultCharset: opts.defaultCharset ?? 'UNICODE UTF-8' });
    const { text, charset } = decoded;
    const frame = receiptSpan(opts.trace);
    if (decoded.invalid) return encoded(await this.refuseCharset(channel, bytes, text, charset, decoded.invalid), charset);
    if (isBatch(text)) return this.submitBatch(channel, bytes, text, charset, frame);
    return encoded(await this.traced(channel, frame, (span) => this.submitOne(channel, bytes, text, charset, span)), charset);
  }

  /** One message's intake in its span (a child of the frame's): its id, and the outcome and ACK code it ended with. */
  private async traced(channel: ChannelDefinition, frame: Span | undefined, work: (span: Span | undefined) => Promise<OneResult>) {
    const span = startSpan({ name: SpanName.intakeHl7, parent: frame, attributes: { [SpanAttribute.channelId]: channel.id } });
    const result = await work(span);
    const outcome = result.duplicate ? 'duplicate' : result.code === 'AA' ? 'accepted' : result.code === 'AE' ? 'errored' : 'rejected';
    endSpan(span, { outcome, attributes: { [SpanAttribute.messageId]: result.messageId, [SpanAttribute.ackCode]: result.code } });
    return result;
  }

  /**
   * An HL7 batch (FHS/BHS … BTS/FTS) in one frame: each message goes through intake on its own,
   * in order, and the answer is a batch of their ACKs (BHS-12 names the original batch id).
   * An envelope that cannot be read is rejected whole.
   */
  private async submitBatch(
    channel: ChannelDefinition,
    bytes: Uint8Array,
    text: string,
    charset: string,
    frame: Span | undefined,
  ): Promise<IntakeResult> {
    let batch: Hl7Batch;
    try {
      batch = parseBatch(text, { charset });
    } catch (err) {
      if (!(err instanceof Hl7ParseError)) throw err;
      const receivedAt = new Date();
      const r = await this.reject({
        channel,
        bytes,
        charset,
        header: undefined,
        messageId: newMessageId(receivedAt.getTime()),
        receivedAt,
        code: err.catalogCode,
        reason: err.reason,
        hl7ErrorCode: err.hl7ErrorCode,
      });
      return { ack: encodeText(r.ackText, charset), code: r.code };
    }
    if (batch.problems.length > 0)
      this.options.log.warn('batch envelope inconsistent', { channelId: channel.id, problems: batch.problems });
    const results: OneResult[] = [];
    for (const message of batch.messages) {
      const one = message.encode();
      results.push(await this.traced(channel, frame, (span) => this.submitOne(channel, encodeText(one, charset), one, charset, span)));
    }
    const acks = results.map((r) => r.ackText);
    return {
      ack: encodeText(buildBatchAck({ batch, acks, controlId: ackControlId() }), charset),
      code: worstAck(results.map((r) => r.code)),
    };
  }

  private async submitOne(channel: ChannelDefinition, bytes: Uint8Array, text: string, charset: string, span?: Span): Promise<OneResult> {
    const receivedAt = new Date();
    const messageId = newMessageId(receivedAt.getTime());
    const arrival: Arrival = { channel, bytes, charset, header: undefined, messageId, receivedAt, span };
    let message: Hl7Message;
    try {
      arrival.header = readHeader(text, { charset });
      if (!accepts(channel, arrival.header.messageType, arrival.header.triggerEvent)) {
        return this.reject({ ...arrival, code: 'HL7_TYPE_NOT_ACCEPTED', reason: notAccepted(channel, arrival.header) });
      }
      message = parseMessage(text, { charset });
    } catch (err) {
      if (!(err instanceof Hl7ParseError)) throw err;
      return this.reject({ ...arrival, code: err.catalogCode, reason: err.reason, hl7ErrorCode: err.hl7ErrorCode });
    }
    return this.storeOne({ ...arrival, header: message.header }, message);
  }

  /** A parsed, accepted message: planned, stored and queued (StoreAndQueue), then answered. */
  private async storeOne(m: Arrival & { header: Hl7Header }, message: Hl7Message): Promise<OneResult> {
    const { channel, messageId, receivedAt, header: h } = m;
    const type = hl7Type(h);
    annotate(m.span, { [SpanAttribute.messageType]: h.messageType, [SpanAttribute.triggerEvent]: h.triggerEvent });
    const plan = planHl7({ ...m, message }, this.options.transforms);
    if (plan.status === MessageStatus.errored && plan.error.code === 'MESSAGE_TOO_MANY_EVENTS') {
      return this.reject({ ...m, code: plan.error.code, reason: plan.error.message });
    }
    const errored = plan.status === MessageStatus.errored;
    const ack = errored
      ? answer(h, 'AE', { text: plan.error.senderText, hl7ErrorCode: plan.error.hl7ErrorCode }).ackText
      : buildAck({ header: h, code: 'AA', controlId: ackControlId() });
    const record = hl7Record({ ...m, message }, plan, {
      dedupeKey: [channel.id, h.sendingApplication, h.sendingFacility, h.controlId].join('|'),
      ack: { code: errored ? 'AE' : 'AA', message: ack, ...(errored ? { text: plan.error.senderText } : {}), sentAt: receivedAt },
    });
    const log = this.options.log.child({ messageId, channelId: channel.id });
    const committed = await this.options.core.commit(record, log, m.span);
    const label = typeLabel(true, h.messageType, h.triggerEvent);
    switch (committed.kind) {
      case 'unavailable':
        engineMetrics.intake(channel.id, label, 'unavailable', committed.code);
        annotate(m.span, { [SpanAttribute.errorCode]: committed.code });
        log.warn('message not stored; answering AE so the sender resends', { code: committed.code });
        return answer(h, 'AE', { text: ErrorCatalog[committed.code].text, hl7ErrorCode: ErrorCatalog[committed.code].hl7ErrorCode });
      case 'existing':
        return this.stored({ ...m, log }, committed);
      case 'stored':
        engineMetrics.intake(channel.id, label, errored ? 'errored' : 'accepted', errored ? plan.error.code : undefined);
        if (errored) {
          log.warn('transform failed; message errored, answered AE', { code: plan.error.code });
          annotate(m.span, { [SpanAttribute.errorCode]: plan.error.code });
          return { ackText: ack, code: 'AE', messageId };
        }
        log.info('message accepted', { messageType: type, status: plan.status });
        return { ackText: ack, code: 'AA', messageId };
      default:
        return committed satisfies never;
    }
  }

  /** Key taken: a resend gets the stored ACK; other content (a reused MSH-10) AE, stored `rejected`, counted. */
  private stored(
    m: Arrival & { header: Hl7Header; log: Logger },
    dup: { existing: MessageRecord; sameContent: boolean },
  ): OneResult | Promise<OneResult> {
    const { existing } = dup;
    if (!dup.sameContent) {
      intakeMetrics.controlIdConflict(m.channel.id);
      m.log.warn('control id reused with different content; answered AE', { firstMessageId: existing._id });
      const reason = 'MSH-10 was used before for a message with different content; send this one under a new control id';
      return this.reject({ ...m, code: 'HL7_CONTROL_ID_CONFLICT', reason, ackCode: 'AE' });
    }
    engineMetrics.intake(m.channel.id, typeLabel(true, m.header.messageType, m.header.triggerEvent), 'duplicate');
    m.log.info('duplicate message; resending its stored ACK', { firstMessageId: existing._id });
    const previous = existing.ack.message ?? buildAck({ header: m.header, code: 'AA', controlId: ackControlId() });
    return { ackText: previous, code: existing.ack.code === 'AE' ? 'AE' : 'AA', messageId: existing._id, duplicate: true };
  }

  /** AR for bytes not valid in the charset in effect; the header is read (MSH is ASCII) so that MSA-2 names the message. */
  private refuseCharset(
    channel: ChannelDefinition,
    bytes: Uint8Array,
    text: string,
    charset: string,
    invalid: InvalidBytes,
  ): Promise<OneResult> {
    const receivedAt = new Date();
    let header: Hl7Header | undefined;
    try {
      header = readHeader(text, { charset });
    } catch (err) {
      if (!(err instanceof Hl7ParseError)) throw err;
    }
    const arrival = { channel, bytes, charset, header, messageId: newMessageId(receivedAt.getTime()), receivedAt };
    return this.reject({ ...arrival, code: 'HL7_CHARSET_INVALID', reason: invalid.reason });
  }

  /**
   * AR for input we will never accept (AE for a reused control id, welcome under a new one); the raw
   * bytes and reason are stored (best effort) as `rejected`, under their own key (`rejected|<id>`).
   * ERR-3 is the catalog's for `code`, unless a parse error names a more precise one (`hl7ErrorCode`).
   */
  private async reject(r: Arrival & { code: ErrorCode; reason: string; hl7ErrorCode?: string; ackCode?: 'AR' | 'AE' }): Promise<OneResult> {
    const ackCode = r.ackCode ?? 'AR';
    const result = answer(r.header, ackCode, { text: r.reason, hl7ErrorCode: r.hl7ErrorCode ?? ErrorCatalog[r.code].hl7ErrorCode });
    const record: MessageRecord = {
      _id: r.messageId,
      channelId: r.channel.id,
      format: 'hl7v2',
      receivedAt: r.receivedAt,
      updatedAt: r.receivedAt,
      dedupeKey: `rejected|${r.messageId}`,
      raw: r.bytes,
      charset: r.charset,
      ...(r.header ? { summary: summariseHeader(r.header) } : {}),
      status: MessageStatus.rejected,
      error: { code: r.code, detail: r.reason },
      deliveries: {},
      ack: { code: ackCode, message: result.ackText, text: r.reason, sentAt: r.receivedAt },
    };
    const log = this.options.log.child({ messageId: r.messageId, channelId: r.channel.id });
    log.info('message rejected', { code: r.code });
    annotate(r.span, { [SpanAttribute.errorCode]: r.code });
    const h = r.header;
    engineMetrics.intake(
      r.channel.id,
      typeLabel(!!h && accepts(r.channel, h.messageType, h.triggerEvent), h?.messageType, h?.triggerEvent),
      'rejected',
      r.code,
    );
    await this.options.core.keep(record, log);
    return { ...result, messageId: r.messageId };
  }
}
