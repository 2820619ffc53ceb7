import type { Attributes } from '@opentelemetry/api';

/**
 * What a span may say: ids and codes, never patient data (the house rule for logs, metric labels
 * and traces alike). Each key the engine sets is listed here with the shape of its values; the
 * guard drops any other key, and any value not of its key's shape, before a span sees it. Message,
 * channel, destination and flow ids are the engine's own (UUIDs, lower-case ids), never taken from
 * message content; message type and trigger event are HL7 table codes (MSH-9), set only for an
 * accepted type.
 */
export const SpanAttribute = {
  channelId: 'switchboard.channel.id',
  messageId: 'switchboard.message.id',
  messageType: 'switchboard.message.type',
  triggerEvent: 'switchboard.message.trigger',
  resourceType: 'switchboard.fhir.resource_type',
  destinationId: 'switchboard.destination.id',
  destinationKind: 'switchboard.destination.kind',
  attempt: 'switchboard.delivery.attempt',
  eventIndex: 'switchboard.event.index',
  eventModel: 'switchboard.event.model',
  replayId: 'switchboard.replay.id',
  flowId: 'switchboard.flow.id',
  flowInstanceId: 'switchboard.flow.instance.id',
  stepId: 'switchboard.flow.step.id',
  outcome: 'switchboard.outcome',
  errorCode: 'switchboard.error.code',
  ackCode: 'switchboard.ack.code',
  count: 'switchboard.count',
  queue: 'messaging.destination.name',
  messagingSystem: 'messaging.system',
  httpStatus: 'http.response.status_code',
} as const;
export type SpanAttributeKey = (typeof SpanAttribute)[keyof typeof SpanAttribute];

/** Attributes as the engine hands them to a span: allowed keys only (values are checked by guardAttributes). */
export type SpanAttributes = Partial<Record<SpanAttributeKey, string | number | undefined>>;

const ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,199}$/;
const CODE = /^[A-Z][A-Z0-9_]{0,63}$/;
const HL7_CODE = /^[A-Z0-9]{1,8}$/;
const WORD = /^[a-z][a-z0-9-]{0,31}$/;
const MODEL = /^[A-Z][A-Za-z0-9]{0,63}$/;

const integer = (min: number, max: number) => (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
const matching = (shape: RegExp) => (v: unknown) => typeof v === 'string' && shape.test(v);

/** The shape each allowed key's values must have. */
const SHAPES: Record<SpanAttributeKey, (v: unknown) => boolean> = {
  [SpanAttribute.channelId]: matching(ID),
  [SpanAttribute.messageId]: matching(ID),
  [SpanAttribute.messageType]: matching(HL7_CODE),
  [SpanAttribute.triggerEvent]: matching(HL7_CODE),
  [SpanAttribute.resourceType]: matching(MODEL),
  [SpanAttribute.destinationId]: matching(ID),
  [SpanAttribute.destinationKind]: matching(WORD),
  [SpanAttribute.attempt]: integer(0, 1_000_000),
  [SpanAttribute.eventIndex]: integer(0, 1_000_000),
  [SpanAttribute.eventModel]: matching(MODEL),
  [SpanAttribute.replayId]: matching(ID),
  [SpanAttribute.flowId]: matching(ID),
  [SpanAttribute.flowInstanceId]: matching(ID),
  [SpanAttribute.stepId]: matching(ID),
  [SpanAttribute.outcome]: matching(WORD),
  [SpanAttribute.errorCode]: matching(CODE),
  [SpanAttribute.ackCode]: matching(/^[AC][AER]$/),
  [SpanAttribute.count]: integer(0, 1_000_000_000),
  [SpanAttribute.queue]: matching(ID),
  [SpanAttribute.messagingSystem]: matching(WORD),
  [SpanAttribute.httpStatus]: integer(100, 599),
};

/**
 * The attributes a span may carry of `input`: keys of SpanAttribute whose value has the key's
 * shape; anything else (another key, a value with spaces or `^`, an undefined) is dropped, never
 * coerced. Pure; called by every span the engine starts or ends (spans.ts).
 */
export function guardAttributes(input: Readonly<Record<string, unknown>> | undefined): Attributes {
  const out: Attributes = {};
  if (!input) return out;
  for (const [key, value] of Object.entries(input)) {
    const shape = SHAPES[key as SpanAttributeKey] as ((v: unknown) => boolean) | undefined;
    if (shape?.(value)) out[key] = value as string | number;
  }
  return out;
}
