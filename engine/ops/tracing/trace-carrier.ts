import {
  defaultTextMapGetter,
  defaultTextMapSetter,
  isSpanContextValid,
  ROOT_CONTEXT,
  trace,
  type Context,
  type Span,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

/**
 * A span's W3C Trace Context (https://www.w3.org/TR/trace-context/) as two strings: what crosses a
 * process boundary with a message. It rides in queue jobs (DeliveryJobData, FlowJobData: ids only,
 * like the rest of a job), in the message record and flow instance (so that the relay's re-queue
 * and a replay find the message's trace), and in HTTP headers to peers. Both absent when tracing is
 * off or the span is not sampled.
 */
export interface TraceCarrier {
  /** `00-<trace id>-<span id>-<flags>`. */
  traceparent?: string;
  tracestate?: string;
}

const propagator = new W3CTraceContextPropagator();

/**
 * The carrier of `span`, ended or not (empty for none: tracing off). A span the sampler dropped gives
 * its context with the sampled flag off, so that what follows is not sampled either.
 */
export function carrierOf(span: Span | undefined): TraceCarrier {
  if (!span || !isSpanContextValid(span.spanContext())) return {};
  const carrier: Record<string, string> = {};
  propagator.inject(trace.setSpan(ROOT_CONTEXT, span), carrier, defaultTextMapSetter);
  return carrier;
}

/** The carrier's fields only (a job's data, a record, request headers hold others): for spreading into a job or a record. */
export function carrierFields(from: TraceCarrier | undefined): TraceCarrier {
  if (!from?.traceparent) return {};
  return from.tracestate ? { traceparent: from.traceparent, tracestate: from.tracestate } : { traceparent: from.traceparent };
}

/**
 * The remote parent a carrier names, as a context to start a child span in; undefined when it has
 * no traceparent or one that is not valid W3C Trace Context (which is ignored, never an error).
 * Header names are matched in lower case, as HTTP/1.1 (Node) gives them.
 */
export function parentFrom(carrier: TraceCarrier | Readonly<Record<string, unknown>> | undefined): Context | undefined {
  const traceparent = carrier?.traceparent;
  if (typeof traceparent !== 'string') return undefined;
  const tracestate = carrier?.tracestate;
  const fields: Record<string, string> = { traceparent, ...(typeof tracestate === 'string' ? { tracestate } : {}) };
  const context = propagator.extract(ROOT_CONTEXT, fields, defaultTextMapGetter);
  return trace.getSpanContext(context) ? context : undefined;
}

/** The HTTP headers that carry `span` to a peer (`traceparent`, `tracestate`): empty for none. */
export function traceHeaders(span: Span | undefined): Record<string, string> {
  return carrierOf(span) as Record<string, string>;
}
