import { encodeText, Hl7ParseError, isBatch, parseMessage, readHeader, unencodableAt } from '../../hl7v2/index.ts';
import { accepts, type ChannelDefinition } from '../channel.ts';
import { newMessageId } from '../ids.ts';
import type { Logger } from '../log.ts';
import type { MessageRecord, RoutePlan } from '../store/message-record.ts';
import { isUnsettledStatus, MessageStatus } from '../store/states.ts';
import type { Store } from '../store/store.ts';
import type { Transform } from '../../transforms/dsl/define-transform.ts';
import { intakeRecord } from './fhir-intake.ts';
import { hl7Record, planHl7 } from './hl7-record.ts';
import type { StoreAndQueue } from './store-and-queue.ts';

/** What became of a correction (Corrections.correct). */
export type CorrectionOutcome =
  /** Stored as a new message linked to the original, and queued like any intake (`status` as routing made it). */
  | { kind: 'stored'; messageId: string; status: MessageStatus }
  /** The original's channel is not deployed in this engine: nothing to route it with (409). */
  | { kind: 'undeployed' }
  /** The original is still being routed or delivered (received, routed): both could reach the peer (409). */
  | { kind: 'unsettled' }
  /** The content cannot be read as one message of the original's format (400): nothing stored. */
  | { kind: 'invalid'; detail: string }
  /** Read, but the channel does not accept it or a transform refuses it (422, naming the field): nothing stored. */
  | { kind: 'unprocessable'; detail: string }
  /** The store did not take it (503): nothing stored; try again. */
  | { kind: 'unavailable' };

/** A correction read and planned, ready to store; or why not. */
type Built = { record: MessageRecord; plan: RoutePlan } | Extract<CorrectionOutcome, { kind: 'invalid' | 'unprocessable' }>;

/**
 * Edit and resend: a stored message's corrected content enters intake as a new message of the original's channel
 * (which must be deployed; the original must be settled, so that it is not delivered beside its correction), read
 * and routed like any message of its format, and stored only if routing takes it (an errored plan is refused, not
 * stored). The new message records `correctionOf` (the original's id) and has its own
 * key, `<channel>|correction|<id>`, since it keeps the original's MSH-10; its deliveries get new idempotency keys.
 * The original's content is never touched: its state lists the correction (MessageStore.addCorrection). A correction
 * may itself be corrected. HL7v2 content is taken as text in the original's charset, with line breaks read as segment
 * separators; FHIR content as the resource's JSON, of the original's resource type (the FHIR source's profile
 * validation is not run again).
 */
export class Corrections {
  constructor(
    private readonly o: {
      core: StoreAndQueue;
      store: Store;
      transforms: ReadonlyMap<string, Transform>;
      /** The deployed channels by id (they change with deploys). */
      channels: ReadonlyMap<string, ChannelDefinition>;
      log: Logger;
    },
  ) {}

  /** Stores and routes `content` as a correction of `original` (see the class). Never throws for bad content. */
  async correct(original: MessageRecord, content: string): Promise<CorrectionOutcome> {
    if (isUnsettledStatus(original.status)) return { kind: 'unsettled' };
    const channel = this.o.channels.get(original.channelId);
    if (!channel) return { kind: 'undeployed' };
    const receivedAt = new Date();
    const messageId = newMessageId(receivedAt.getTime());
    const at = { channel, messageId, receivedAt, dedupeKey: `${channel.id}|correction|${messageId}` };
    const built = original.format === 'fhir' ? this.buildFhir(at, original, content) : this.buildHl7(at, original, content);
    if (!('record' in built)) return built;
    if (built.plan.status === MessageStatus.errored) return { kind: 'unprocessable', detail: built.plan.error.senderText };
    const log = this.o.log.child({ messageId, channelId: channel.id });
    const committed = await this.o.core.commit({ ...built.record, correctionOf: original._id }, log);
    if (committed.kind !== 'stored') {
      log.warn('correction not stored', { kind: committed.kind });
      return { kind: 'unavailable' };
    }
    try {
      await this.o.store.messages.addCorrection(original._id, messageId);
    } catch {
      // The correction names its original (correctionOf) and is routed; only the original's list lacks it.
      log.warn('correction stored; the original does not list it', { correctionOf: original._id });
    }
    log.info('correction accepted', { correctionOf: original._id, status: built.plan.status });
    return { kind: 'stored', messageId, status: built.plan.status };
  }

  /** HL7v2: one message, in the original's charset, of a type the channel accepts. */
  private buildHl7(at: Arrival, original: MessageRecord, content: string): Built {
    const text = content.replace(/\r\n|\n/g, '\r').trimEnd() + '\r';
    if (isBatch(text)) return { kind: 'invalid', detail: 'a correction is one message, not a batch' };
    const charset = original.charset;
    const bad = unencodableAt(text, charset);
    if (bad >= 0) return { kind: 'invalid', detail: `the character at offset ${bad} cannot be written in ${charset}` };
    try {
      const header = readHeader(text, { charset });
      if (!accepts(at.channel, header.messageType, header.triggerEvent))
        return { kind: 'unprocessable', detail: `channel ${at.channel.id} does not accept ${header.messageType}^${header.triggerEvent}` };
      const received = { ...at, bytes: encodeText(text, charset), charset, header, message: parseMessage(text, { charset }) };
      const plan = planHl7(received, this.o.transforms);
      return { plan, record: hl7Record(received, plan, { dedupeKey: at.dedupeKey, ack: noAck(at.receivedAt) }) };
    } catch (err) {
      if (!(err instanceof Hl7ParseError)) throw err;
      return { kind: 'invalid', detail: err.reason };
    }
  }

  /** FHIR: a JSON object of the original's resource type. */
  private buildFhir(at: Arrival, original: MessageRecord, content: string): Built {
    let resource: unknown;
    try {
      resource = JSON.parse(content);
    } catch {
      return { kind: 'invalid', detail: 'the content is not JSON' };
    }
    const type = original.summary?.messageType;
    if (typeof resource !== 'object' || resource === null || Array.isArray(resource) || !('resourceType' in resource))
      return { kind: 'invalid', detail: 'the content is not a FHIR resource (no resourceType)' };
    if (type && resource.resourceType !== type) return { kind: 'invalid', detail: `a correction of a ${type} must be a ${type}` };
    const client = original.summary?.sendingApplication ?? 'correction';
    const built = intakeRecord(at.channel, this.o.transforms, resource as Record<string, unknown>, {
      client,
      messageId: at.messageId,
      dedupeKey: at.dedupeKey,
    });
    return { plan: built.plan, record: { ...built.record, ack: noAck(built.record.receivedAt) } };
  }
}

/** Where and under which id and key a correction enters. */
interface Arrival {
  channel: ChannelDefinition;
  messageId: string;
  receivedAt: Date;
  dedupeKey: string;
}

/** A correction answers no sender: its ACK record says so. */
const noAck = (sentAt: Date) => ({ code: 'none' as const, text: 'a correction: no ACK was sent', sentAt });
