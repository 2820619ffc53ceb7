import type { Queue } from 'bullmq';
import { buildAck, buildBatchAck, decodeBytes, encodeText, firstSegmentBytes, Hl7ParseError, isBatch, parseBatch, parseMessage, readHeader, type AckCode, type Hl7Batch, type Hl7Header, type Hl7Message, type InvalidBytes } from './hl7v2/index.ts';
import { accepts, type ChannelDefinition } from './channel.ts';
import { ErrorCatalog, toSwitchboardError, type ErrorCode } from './errors.ts';
import { summariseHeader, summariseMessage } from './hl7-summary.ts';
import { newMessageId } from './ids.ts';
import type { Logger } from './log.ts';
import type { DeliveryJobData } from './queue/queues.ts';
import { queueStored, type DeliveryHandoff } from './queue/handoff.ts';
import { planRoute } from './routing.ts';
import type { Transform } from '../transforms/dsl/define-transform.ts';
import type { MongoStore } from './store/mongo-store.ts';
import type { MessageRecord } from './store/message-record.ts';
import { MessageStatus } from './store/states.ts';
import { hl7ContentHash } from './store/content-hash.ts';
import { intakeMetrics } from './metrics/intake-metrics.ts';
import { withTimeout } from './timeout.ts';

export interface IntakeResult {
  /** The ACK to send, encoded in the sender's charset. */
  ack: Uint8Array;
  code: AckCode;
  messageId?: string;
  duplicate?: boolean;
}

/** The outcome of one message, before encoding (a batch joins several). */
interface OneResult {
  ackText: string;
  code: AckCode;
  messageId?: string;
  duplicate?: boolean;
}

export interface IntakeOptions {
  store: MongoStore;
  transforms: ReadonlyMap<string, Transform>;
  deliveryQueues: ReadonlyMap<string, Queue<DeliveryJobData>>;
  /** Set when this process delivers too (role `all`): stored messages are handed to its workers. */
  handoff?: DeliveryHandoff;
  log: Logger;
  storeTimeoutMs: number;
  /** ACK-only mode for benchmarks (INTAKE_ACK_ONLY): header read and ACK, nothing stored. Default false. */
  ackOnly?: boolean;
}

/** A message as it arrived, with the id and time intake gave it. */
interface Arrival {
  channel: ChannelDefinition;
  bytes: Uint8Array;
  charset: string;
  header: Hl7Header | undefined;
  messageId: string;
  receivedAt: Date;
}

/**
 * The way in for HL7v2 (design: "intake"): parse → accept or reject → filter and transform →
 * de-duplicate and store durably → queue deliveries → answer. Called by the MLLP source, once per
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
  private readonly ackOnly: boolean;

  constructor(private readonly options: IntakeOptions) {
    this.ackOnly = options.ackOnly ?? false;
    if (this.ackOnly) options.log.warn('INTAKE_ACK_ONLY is set: MLLP messages are acknowledged WITHOUT being stored (benchmark mode)');
  }

  /**
   * Answers one frame. Asynchronous (a promise) whenever anything is stored; in ACK-only mode a
   * single message is answered synchronously, so a caller that writes a plain result at once
   * adds no promise per frame (see MllpSource).
   */
  submit(channel: ChannelDefinition, bytes: Uint8Array): IntakeResult | Promise<IntakeResult> {
    const defaultCharset = (channel.source.kind === 'mllp' && channel.source.defaultCharset) || 'UNICODE UTF-8';
    if (this.ackOnly) {
      // The header is all ACK-only reads: decode the first segment only, unless it opens a batch.
      const head = decodeBytes(firstSegmentBytes(bytes), { defaultCharset });
      if (!isBatch(head.text)) return encoded(this.answerOnly(channel, head.text), head.charset);
    }
    const decoded = decodeBytes(bytes, { defaultCharset });
    const { text, charset } = decoded;
    if (decoded.invalid) return this.refuseCharset(channel, bytes, text, charset, decoded.invalid).then((r) => encoded(r, charset));
    if (isBatch(text)) return this.submitBatch(channel, bytes, text, charset);
    const one = this.one(channel, bytes, text, charset);
    return one instanceof Promise ? one.then((r) => encoded(r, charset)) : encoded(one, charset);
  }

  /** One message: answered at once in ACK-only mode, else stored first. */
  private one(channel: ChannelDefinition, bytes: Uint8Array, text: string, charset: string): OneResult | Promise<OneResult> {
    return this.ackOnly ? this.answerOnly(channel, text) : this.submitOne(channel, bytes, text, charset);
  }

  /**
   * An HL7 batch (FHS/BHS … BTS/FTS) in one frame: each message goes through intake on its own,
   * in order, and the answer is a batch of their ACKs (BHS-12 names the original batch id).
   * An envelope that cannot be read is rejected whole.
   */
  private async submitBatch(channel: ChannelDefinition, bytes: Uint8Array, text: string, charset: string): Promise<IntakeResult> {
    let batch: Hl7Batch;
    try {
      batch = parseBatch(text, { charset });
    } catch (err) {
      if (!(err instanceof Hl7ParseError)) throw err;
      const receivedAt = new Date();
      const r = await this.reject({ channel, bytes, charset, header: undefined, messageId: newMessageId(receivedAt.getTime()), receivedAt, code: err.catalogCode, reason: err.reason, hl7ErrorCode: err.hl7ErrorCode });
      return { ack: encodeText(r.ackText, charset), code: r.code };
    }
    if (batch.problems.length > 0) this.options.log.warn('batch envelope inconsistent', { channelId: channel.id, problems: batch.problems });
    const acks: string[] = [];
    let worst = 'AA' as AckCode;
    for (const message of batch.messages) {
      const one = message.encode();
      const r = await this.one(channel, encodeText(one, charset), one, charset);
      acks.push(r.ackText);
      if (r.code !== 'AA') worst = r.code === 'AR' || worst === 'AR' ? 'AR' : 'AE';
    }
    return { ack: encodeText(buildBatchAck({ batch, acks, controlId: ackControlId() }), charset), code: worst };
  }

  /** ACK-only mode: the header read and AA, or AR for a message that cannot be read or is not accepted. Nothing is stored. */
  private answerOnly(channel: ChannelDefinition, text: string): OneResult {
    let header: Hl7Header | undefined;
    try {
      header = readHeader(text);
      if (accepts(channel, header.messageType, header.triggerEvent)) return { ackText: buildAck({ header, code: 'AA', controlId: ackControlId() }), code: 'AA' };
      return this.answer(header, 'AR', { text: notAccepted(channel, header), hl7ErrorCode: ErrorCatalog.HL7_TYPE_NOT_ACCEPTED.hl7ErrorCode });
    } catch (err) {
      if (!(err instanceof Hl7ParseError)) throw err;
      return this.answer(header, 'AR', { text: err.reason, hl7ErrorCode: err.hl7ErrorCode });
    }
  }

  private async submitOne(channel: ChannelDefinition, bytes: Uint8Array, text: string, charset: string): Promise<OneResult> {
    const receivedAt = new Date();
    const messageId = newMessageId(receivedAt.getTime());
    let header: Hl7Header | undefined;
    let message: Hl7Message;
    try {
      header = readHeader(text, { charset });
      if (!accepts(channel, header.messageType, header.triggerEvent)) {
        const reason = notAccepted(channel, header);
        return this.reject({ channel, bytes, charset, header, messageId, receivedAt, code: 'HL7_TYPE_NOT_ACCEPTED', reason });
      }
      message = parseMessage(text, { charset });
    } catch (err) {
      if (!(err instanceof Hl7ParseError)) throw err;
      return this.reject({ channel, bytes, charset, header, messageId, receivedAt, code: err.catalogCode, reason: err.reason, hl7ErrorCode: err.hl7ErrorCode });
    }
    const h = message.header;
    const plan = planRoute({
      channel,
      transforms: this.options.transforms,
      messageId,
      input: { kind: 'hl7', message },
      type: `${h.messageType}^${h.triggerEvent}`,
      source: { channelId: channel.id, messageType: `${h.messageType}^${h.triggerEvent}`, controlId: h.controlId, sendingApplication: h.sendingApplication, sendingFacility: h.sendingFacility },
    });
    if (plan.status === MessageStatus.errored && plan.error.code === 'MESSAGE_TOO_MANY_EVENTS') {
      return this.reject({ channel, bytes, charset, header: h, messageId, receivedAt, code: plan.error.code, reason: plan.error.message });
    }
    const errored = plan.status === MessageStatus.errored;
    const ack = errored
      ? this.answer(h, 'AE', { text: plan.error.senderText, hl7ErrorCode: plan.error.hl7ErrorCode }).ackText
      : buildAck({ header: h, code: 'AA', controlId: ackControlId() });
    const record: MessageRecord = {
      _id: messageId,
      channelId: channel.id,
      format: 'hl7v2',
      receivedAt,
      updatedAt: receivedAt,
      dedupeKey: [channel.id, h.sendingApplication, h.sendingFacility, h.controlId].join('|'),
      raw: bytes,
      charset,
      contentHash: hl7ContentHash(message.encode()),
      summary: summariseMessage(message),
      status: plan.status,
      deliveries: plan.status === MessageStatus.errored ? {} : plan.deliveries,
      ...(plan.status === MessageStatus.errored ? { error: { code: plan.error.code, detail: plan.error.message } } : { canonical: { events: plan.events } }),
      ...(plan.status === MessageStatus.filtered ? { filteredReason: plan.reason } : {}),
      ack: { code: errored ? 'AE' : 'AA', message: ack, ...(errored ? { text: plan.error.senderText } : {}), sentAt: receivedAt },
    };
    const log = this.options.log.child({ messageId, channelId: channel.id });
    let stored: Awaited<ReturnType<MongoStore['insertMessage']>>;
    try {
      stored = await withTimeout(this.options.store.insertMessage(record), this.options.storeTimeoutMs, 'STORE_UNAVAILABLE');
    } catch (err) {
      const e = toSwitchboardError(err);
      log.warn('message not stored; answering AE so the sender resends', { code: e.code });
      return this.answer(h, 'AE', { text: e.publicText, hl7ErrorCode: e.hl7ErrorCode });
    }
    if (!stored.inserted) return this.stored({ channel, bytes, charset, header: h, messageId, receivedAt, log }, stored);
    if (errored) {
      log.warn('transform failed; message errored, answered AE', { code: plan.error.code });
      return { ackText: ack, code: 'AE', messageId };
    }
    try {
      const { deliveryQueues: queues, handoff } = this.options;
      await withTimeout(queueStored({ queues, handoff, messageId, destinationIds: Object.keys(record.deliveries), forDelivery: stored.forDelivery }), 2000, 'QUEUE_UNAVAILABLE');
    } catch (err) {
      log.warn('stored but not queued; the relay will queue it', { code: toSwitchboardError(err).code });
    }
    log.info('message accepted', { messageType: `${h.messageType}^${h.triggerEvent}`, status: plan.status });
    return { ackText: ack, code: 'AA', messageId };
  }

  /** Key taken: a resend gets the stored ACK; other content (a reused MSH-10) AE, stored `rejected`, counted. */
  private stored(m: Arrival & { header: Hl7Header; log: Logger }, dup: { existing: MessageRecord; sameContent: boolean }): OneResult | Promise<OneResult> {
    const { existing } = dup;
    if (!dup.sameContent) {
      intakeMetrics.controlIdConflict(m.channel.id);
      m.log.warn('control id reused with different content; answered AE', { firstMessageId: existing._id });
      const reason = 'MSH-10 was used before for a message with different content; send this one under a new control id';
      return this.reject({ ...m, code: 'HL7_CONTROL_ID_CONFLICT', reason, ackCode: 'AE' });
    }
    m.log.info('duplicate message; resending its stored ACK', { firstMessageId: existing._id });
    const previous = existing.ack.message ?? buildAck({ header: m.header, code: 'AA', controlId: ackControlId() });
    return { ackText: previous, code: existing.ack.code === 'AE' ? 'AE' : 'AA', messageId: existing._id, duplicate: true };
  }

  /** AR for bytes not valid in the charset in effect; the header is read (MSH is ASCII) so that MSA-2 names the message. */
  private refuseCharset(channel: ChannelDefinition, bytes: Uint8Array, text: string, charset: string, invalid: InvalidBytes): Promise<OneResult> {
    const receivedAt = new Date();
    let header: Hl7Header | undefined;
    try {
      header = readHeader(text, { charset });
    } catch (err) {
      if (!(err instanceof Hl7ParseError)) throw err;
    }
    return this.reject({ channel, bytes, charset, header, messageId: newMessageId(receivedAt.getTime()), receivedAt, code: 'HL7_CHARSET_INVALID', reason: invalid.reason });
  }

  /**
   * AR for input we will never accept (AE for a reused control id, welcome under a new one); the raw
   * bytes and reason are stored (best effort) as `rejected`, under their own key (`rejected|<id>`).
   * ERR-3 is the catalog's for `code`, unless a parse error names a more precise one (`hl7ErrorCode`).
   */
  private async reject(r: Arrival & { code: ErrorCode; reason: string; hl7ErrorCode?: string; ackCode?: 'AR' | 'AE' }): Promise<OneResult> {
    const ackCode = r.ackCode ?? 'AR';
    const result = this.answer(r.header, ackCode, { text: r.reason, hl7ErrorCode: r.hl7ErrorCode ?? ErrorCatalog[r.code].hl7ErrorCode });
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
    try {
      await withTimeout(this.options.store.insertMessage(record), this.options.storeTimeoutMs, 'STORE_UNAVAILABLE');
    } catch (err) {
      log.warn('rejected message could not be stored', { code: toSwitchboardError(err).code });
    }
    return { ...result, messageId: r.messageId };
  }

  private answer(header: Hl7Header | undefined, code: AckCode, e: { text: string; hl7ErrorCode: string }): OneResult {
    return { ackText: buildAck({ ...(header ? { header } : {}), code, controlId: ackControlId(), text: e.text, hl7ErrorCode: e.hl7ErrorCode }), code };
  }
}

/** Why a message of this type gets AR on this channel (ERR and the stored error). */
function notAccepted(channel: ChannelDefinition, header: Hl7Header): string {
  return `message type ${header.messageType}^${header.triggerEvent} is not accepted by channel ${channel.id}`;
}

function encoded({ ackText, ...result }: OneResult, charset: string): IntakeResult {
  return { ...result, ack: encodeText(ackText, charset) };
}

let ackCounter = 0;
/** ACK control ids (MSH-10, at most 20 characters in v2.5): time and a counter, unique per process. */
function ackControlId(): string {
  ackCounter = (ackCounter + 1) % 1_679_616;
  return `A${Date.now().toString(36).toUpperCase()}${ackCounter.toString(36).toUpperCase().padStart(4, '0')}`;
}
