import type { ChannelDefinition } from '../channel.ts';
import type { Hl7Header, Hl7Message } from '../../hl7v2/index.ts';
import { summariseMessage } from '../hl7-summary.ts';
import { planRoute } from '../routing.ts';
import { hl7ContentHash } from '../store/content-hash.ts';
import type { AckRecord, MessageRecord, RoutePlan } from '../store/message-record.ts';
import { MessageStatus } from '../store/states.ts';
import type { Transform } from '../../transforms/dsl/define-transform.ts';
import { searchFieldValues } from './search-field-values.ts';

/** A parsed HL7v2 message as intake received it: where, when, under which id, and its bytes. */
export interface Hl7Received {
  channel: ChannelDefinition;
  messageId: string;
  receivedAt: Date;
  bytes: Uint8Array;
  charset: string;
  header: Hl7Header;
  message: Hl7Message;
}

/** `MSH-9.1^MSH-9.2` of a header. */
export const hl7Type = (h: Hl7Header): string => `${h.messageType}^${h.triggerEvent}`;

/** The route planned for a parsed message with the given transforms (routing.ts planRoute). */
export function planHl7(m: Hl7Received, transforms: ReadonlyMap<string, Transform>): RoutePlan {
  const { channel, messageId, header: h } = m;
  const type = hl7Type(h);
  const source = {
    channelId: channel.id,
    messageType: type,
    controlId: h.controlId,
    sendingApplication: h.sendingApplication,
    sendingFacility: h.sendingFacility,
  };
  return planRoute({ channel, transforms, messageId, input: { kind: 'hl7', message: m.message }, type, source });
}

/**
 * The message record intake stores for a parsed HL7v2 message and its plan: routed, filtered or errored as planned,
 * under `dedupeKey` (intake: `<channel>|<MSH-3>|<MSH-4>|<MSH-10>`), with the ACK it answered (`ack`) and the values of the
 * channel's search fields.
 */
export function hl7Record(m: Hl7Received, plan: RoutePlan, o: { dedupeKey: string; ack: AckRecord }): MessageRecord {
  const fields = searchFieldValues(m.channel, { kind: 'hl7', message: m.message });
  return {
    _id: m.messageId,
    channelId: m.channel.id,
    format: 'hl7v2',
    receivedAt: m.receivedAt,
    updatedAt: m.receivedAt,
    dedupeKey: o.dedupeKey,
    raw: m.bytes,
    charset: m.charset,
    contentHash: hl7ContentHash(m.message.encode()),
    summary: summariseMessage(m.message),
    status: plan.status,
    deliveries: plan.status === MessageStatus.errored ? {} : plan.deliveries,
    ...(plan.status === MessageStatus.errored
      ? { error: { code: plan.error.code, detail: plan.error.message } }
      : { canonical: { events: plan.events } }),
    ...(plan.status === MessageStatus.filtered ? { filteredReason: plan.reason } : {}),
    ack: o.ack,
    ...(fields ? { searchFieldValues: fields } : {}),
  };
}
