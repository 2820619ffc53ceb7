import { SpanKind, trace, type Link, type Span } from '@opentelemetry/api';
import type { DeliveryContext } from '../../connector.ts';
import { toDeliveryFailure } from '../../errors.ts';
import { SpanAttribute, type SpanAttributes } from './span-attributes.ts';
import { endSpan, SpanName, startSpan, tracingOn } from './spans.ts';
import { parentFrom, traceHeaders, type TraceCarrier } from './trace-carrier.ts';

/**
 * Spans of the workers (delivery-worker.ts, flows/flow-worker.ts), in whichever process runs the job.
 * A job's span is a child of the span that queued it (the job's carrier, which crossed Redis). A job
 * queued without one (the relay, a re-route) joins the trace stored with the message or flow
 * instance. A replay's round starts a trace of its own, linked to the message's: the replay is a
 * new story about an old message, and its attempts may come days later.
 */
export function startWorkSpan(o: {
  name: typeof SpanName.deliveryAttempt | typeof SpanName.flowStep;
  job: TraceCarrier;
  stored: TraceCarrier | undefined;
  /** Set for an attempt of a replay's round. */
  replayId?: string | undefined;
  attributes: SpanAttributes;
}): Span | undefined {
  if (!tracingOn()) return undefined;
  const fromJob = parentFrom(o.job);
  const original = parentFrom(o.stored);
  const replay = !fromJob && o.replayId !== undefined;
  const originalContext = original ? trace.getSpanContext(original) : undefined;
  const links: Link[] | undefined = replay && originalContext ? [{ context: originalContext }] : undefined;
  return startSpan({
    name: o.name,
    kind: SpanKind.CONSUMER,
    parent: replay ? undefined : (fromJob ?? original),
    ...(links ? { links } : {}),
    attributes: { ...o.attributes, [SpanAttribute.replayId]: o.replayId },
  });
}

/** What a connector's `send` is given besides the payload, for its span: the trace headers and the status callback. */
export type SendTrace = Pick<DeliveryContext, 'traceHeaders' | 'traceStatus'>;

/**
 * One call of a connector's `send` in a CLIENT span under `parent` (an attempt's or a step's span):
 * `send` gets the span's W3C headers for its request and a callback for the peer's HTTP status; the
 * span ends with outcome `sent` or `failed` and the failure's catalog code. Without a parent (tracing
 * off) it is just `send({})`.
 */
export async function tracedSend<T>(parent: Span | undefined, attributes: SpanAttributes, send: (t: SendTrace) => Promise<T>): Promise<T> {
  const span = parent ? startSpan({ name: SpanName.sendEvent, kind: SpanKind.CLIENT, parent, attributes }) : undefined;
  if (!span) return send({});
  let status: number | undefined;
  const answered = { [SpanAttribute.httpStatus]: undefined as number | undefined };
  try {
    const value = await send({ traceHeaders: traceHeaders(span), traceStatus: (s) => void (status = s) });
    answered[SpanAttribute.httpStatus] = status;
    endSpan(span, { outcome: 'sent', attributes: answered });
    return value;
  } catch (err) {
    answered[SpanAttribute.httpStatus] = status;
    endSpan(span, { outcome: 'failed', errorCode: toDeliveryFailure(err).code, attributes: answered });
    throw err;
  }
}
