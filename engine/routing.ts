import { DEFAULT_MAX_EVENTS_PER_MESSAGE, type ChannelDefinition } from './channel.ts';
import { decodeBytes, Hl7ParseError, parseMessage } from '../hl7v2/index.ts';
import { SwitchboardError, toSwitchboardError } from './errors.ts';
import type { CanonicalEvent, DeliveryRecord, MessageRecord, RoutePlan } from './store/message-record.ts';
import { DeliveryStatus, MessageStatus } from './store/states.ts';
import { compileCondition, type Predicate } from '../transforms/dsl/predicate.ts';
import type { SourceEnvelope, Transform } from '../transforms/dsl/define-transform.ts';
import type { TransformInput } from '../transforms/dsl/expression.ts';
import type { LookupTables } from '../transforms/lookups/lookup-table.ts';

const filters = new WeakMap<ChannelDefinition, Predicate>();

/**
 * Compiles the channel's filter with the lookup tables its version pins (an `inTable` condition),
 * for planRoute to use. Called by TransformCatalog.runnable on the channel object the engine runs;
 * a filter naming no table is compiled by planRoute itself.
 */
export function prepareFilter(channel: ChannelDefinition, tables: LookupTables): void {
  if (channel.filter) filters.set(channel, compileCondition(channel.filter, tables));
}

/**
 * Pure routing (no I/O): the channel's filter, then every transform of the channel that accepts the
 * input's type, then one pending delivery per destination that takes any of the resulting models.
 * Called by intake for new messages (so a transform failure is answered AE at once) and by the route
 * worker for messages sent back to `received` (replay after a fix). A message no transform maps,
 * or that the filter drops, is `filtered`: stored, acknowledged, sent nowhere. A message making
 * more events than the channel's maxEventsPerMessage is `errored` with MESSAGE_TOO_MANY_EVENTS
 * (intake answers it AR and stores it `rejected`).
 */
export function planRoute(o: {
  channel: ChannelDefinition;
  transforms: ReadonlyMap<string, Transform>;
  messageId: string;
  input: TransformInput;
  type: string;
  source: SourceEnvelope;
}): RoutePlan {
  const { channel } = o;
  try {
    if (channel.filter) {
      let filter = filters.get(channel);
      if (!filter) filters.set(channel, (filter = compileCondition(channel.filter)));
      if (!filter.test({ input: o.input }))
        return { status: MessageStatus.filtered, events: [], deliveries: {}, reason: `channel filter: ${filter.describe}` };
    }
    const applicable = channel.transforms
      .map((id) => {
        const t = o.transforms.get(id);
        if (!t) throw new SwitchboardError('CONFIG_INVALID', `channel ${channel.id} names unknown transform ${id}`);
        return t;
      })
      .filter((t) => t.input === o.input.kind && t.accepts.includes(o.type));
    const cap = channel.maxEventsPerMessage ?? DEFAULT_MAX_EVENTS_PER_MESSAGE;
    const events: CanonicalEvent[] = [];
    for (const t of applicable) {
      for (const event of t.run(o.input, o.source))
        events.push({
          model: t.model,
          modelVersion: t.modelVersion,
          transformId: t.id,
          transformVersion: t.version,
          ...(t.tables ? { tables: { ...t.tables } } : {}),
          event,
        });
      // Checked after each transform: the next transforms are not run once past the cap (a transform's
      // own events are all made first; the frame limit bounds how many one message can ask for).
      if (events.length > cap)
        throw new SwitchboardError(
          'MESSAGE_TOO_MANY_EVENTS',
          `message makes ${events.length} or more events; channel ${channel.id} accepts at most ${cap} per message (maxEventsPerMessage)`,
        );
    }
    const deliveries = deliveriesFor(channel, events, o.messageId);
    if (Object.keys(deliveries).length === 0) {
      return {
        status: MessageStatus.filtered,
        events,
        deliveries: {},
        reason: events.length === 0 ? `no transform of channel ${channel.id} maps ${o.type}` : 'no destination takes these events',
      };
    }
    return { status: MessageStatus.routed, events, deliveries };
  } catch (err) {
    const e = toSwitchboardError(err);
    if (e.failureClass !== 'permanent') throw e;
    return { status: MessageStatus.errored, error: e };
  }
}

/** One pending delivery per destination that takes any of the events, keyed `<messageId>:<destinationId>`, with its order key. */
function deliveriesFor(channel: ChannelDefinition, events: readonly CanonicalEvent[], messageId: string): Record<string, DeliveryRecord> {
  const deliveries: Record<string, DeliveryRecord> = {};
  for (const dest of channel.destinations) {
    const taken = events.filter((e) => dest.models.includes(e.model));
    if (taken.length === 0) continue;
    const orderKey = dest.ordering ? valueAt(taken[0]!.event, dest.ordering.key) : undefined;
    deliveries[dest.id] = {
      destinationId: dest.id,
      status: DeliveryStatus.pending,
      idempotencyKey: `${messageId}:${dest.id}`,
      sentEvents: 0,
      attempts: [],
      ...(orderKey ? { orderKey } : {}),
    };
  }
  return deliveries;
}

/** Routes a stored message again from its raw HL7v2 bytes or FHIR JSON (route worker, replay). */
export function planStoredMessage(o: {
  message: MessageRecord;
  channel: ChannelDefinition;
  transforms: ReadonlyMap<string, Transform>;
}): RoutePlan {
  const { message, channel } = o;
  try {
    const { input, type, source } = storedInput(message, channel.id);
    return planRoute({ channel, transforms: o.transforms, messageId: message._id, input, type, source });
  } catch (err) {
    if (err instanceof Hl7ParseError) return { status: MessageStatus.errored, error: new SwitchboardError(err.catalogCode, err.reason) };
    // Anything else that is not known to be transient (stored FHIR that no longer parses, a defect)
    // fails the same way every time: errored with the error kept, not retried by the route worker.
    const e = toSwitchboardError(err);
    if (e.failureClass !== 'permanent') throw e;
    return { status: MessageStatus.errored, error: e };
  }
}

function valueAt(event: Record<string, unknown>, dotted: string): string | undefined {
  const v = dotted
    .split('.')
    .reduce<unknown>((node, k) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[k] : undefined), event);
  return v === undefined || v === null || v === '' ? undefined : String(v);
}

/**
 * A stored message read again as transforms read it: its input, type and source envelope. Throws
 * Hl7ParseError for HL7v2 that no longer parses, SyntaxError for FHIR JSON that does not.
 */
export function storedInput(
  message: Pick<MessageRecord, '_id' | 'format' | 'raw' | 'charset' | 'summary'>,
  channelId: string,
): { input: TransformInput; type: string; source: SourceEnvelope } {
  if (message.format === 'fhir') {
    const resource = JSON.parse(Buffer.from(message.raw).toString('utf8')) as Record<string, unknown>;
    const type = String(resource.resourceType);
    const source = {
      channelId,
      messageType: type,
      controlId: message.summary?.controlId ?? message._id,
      sendingApplication: message.summary?.sendingApplication ?? '',
      sendingFacility: '',
    };
    return { input: { kind: 'fhir', resource }, type, source };
  }
  // The charset intake read it in (stored with it), so hex escapes read as they did then.
  const decoded = decodeBytes(message.raw, { defaultCharset: message.charset });
  const parsed = parseMessage(decoded.text, { charset: decoded.charset });
  const h = parsed.header;
  const type = `${h.messageType}^${h.triggerEvent}`;
  const source = {
    channelId,
    messageType: type,
    controlId: h.controlId,
    sendingApplication: h.sendingApplication,
    sendingFacility: h.sendingFacility,
  };
  return { input: { kind: 'hl7', message: parsed }, type, source };
}
