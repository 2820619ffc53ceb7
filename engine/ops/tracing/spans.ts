import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Link,
  type Span,
  type TimeInput,
  type Tracer,
} from '@opentelemetry/api';
import { guardAttributes, SpanAttribute, type SpanAttributes } from './span-attributes.ts';

/**
 * The names of the engine's spans: few and fixed (a span name is a low-cardinality key in every
 * trace store); what varies (channel, destination, message) is in attributes.
 */
export const SpanName = {
  /** Root of an HL7v2 message's trace: one MLLP frame, from its arrival to its ACK. */
  mllpFrame: 'mllp frame',
  /** Root of a FHIR resource's trace (or the child of the client's span): one request, to its answer. */
  fhirRequest: 'fhir request',
  intakeHl7: 'intake hl7',
  intakeFhir: 'intake fhir',
  /** The durable insert of one message (or one FHIR transaction's entries). */
  storeWrite: 'store write',
  /** Creating the process flows a message starts. */
  flowStart: 'flow start',
  /** Queueing one job per delivery (a producer span: the workers' spans are its children). */
  queueDeliveries: 'queue deliveries',
  /** One attempt at one delivery, in a delivery worker (any process). */
  deliveryAttempt: 'delivery attempt',
  /** One canonical event sent to a destination's peer within an attempt (its `traceparent` goes to HTTP peers). */
  sendEvent: 'send event',
  /** One attempt at one flow step, in a flow worker. */
  flowStep: 'flow step',
} as const;
export type SpanName = (typeof SpanName)[keyof typeof SpanName];

/** The tracer spans are made with, while tracing is on (open-tracing.ts); undefined: off, and every helper here does nothing. */
let active: Tracer | undefined;

/** Set by openTracing at start and cleared at its shutdown; nothing else calls it. */
export function setActiveTracer(tracer: Tracer | undefined): void {
  active = tracer;
}

/** Whether spans are made in this process now. */
export const tracingOn = (): boolean => active !== undefined;

/** What a span is started under: a span of this process, a remote parent (a carrier's context), or none (a root). */
export type SpanParent = Span | Context | undefined;

export interface SpanStart {
  name: SpanName;
  kind?: SpanKind;
  parent?: SpanParent;
  attributes?: SpanAttributes;
  links?: Link[];
  /** When the work began, if before now (performance.now() or epoch milliseconds). */
  startTime?: TimeInput;
}

const contextOf = (parent: SpanParent): Context => {
  if (!parent) return ROOT_CONTEXT;
  return 'spanContext' in parent ? trace.setSpan(ROOT_CONTEXT, parent as Span) : parent;
};

/** Starts a span (attributes through guardAttributes); undefined while tracing is off, at the cost of one test. */
export function startSpan(o: SpanStart): Span | undefined {
  if (!active) return undefined;
  const options = {
    kind: o.kind ?? SpanKind.INTERNAL,
    attributes: guardAttributes(o.attributes),
    ...(o.links ? { links: o.links } : {}),
    ...(o.startTime !== undefined ? { startTime: o.startTime } : {}),
  };
  return active.startSpan(o.name, options, contextOf(o.parent));
}

/** How a span's work ended: `outcome` (a state name), the error code when it failed, and more attributes. */
export interface SpanEnd {
  outcome?: string;
  errorCode?: string;
  attributes?: SpanAttributes;
}

/**
 * Ends a span with its outcome. A failure sets the span's status to ERROR with the error code as its
 * only description: never an exception's message or stack (they may quote content).
 */
export function endSpan(span: Span | undefined, end: SpanEnd = {}): void {
  if (!span) return;
  const attributes = guardAttributes({ ...end.attributes, [SpanAttribute.outcome]: end.outcome, [SpanAttribute.errorCode]: end.errorCode });
  span.setAttributes(attributes);
  const code = attributes[SpanAttribute.errorCode];
  if (end.errorCode) span.setStatus({ code: SpanStatusCode.ERROR, ...(typeof code === 'string' ? { message: code } : {}) });
  span.end();
}

/**
 * Runs `work` in a span started as `start` and ends it with what `ended` makes of the result (a
 * thrown error ends it with outcome `failed` and the error's catalog code, when it has one, and is
 * rethrown). While tracing is off, just `work(undefined)`.
 */
export async function inSpan<T>(start: SpanStart, work: (span: Span | undefined) => Promise<T>, ended?: (value: T) => SpanEnd): Promise<T> {
  const span = startSpan(start);
  if (!span) return work(undefined);
  try {
    const value = await work(span);
    endSpan(span, ended?.(value) ?? {});
    return value;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    endSpan(span, { outcome: 'failed', ...(typeof code === 'string' ? { errorCode: code } : {}) });
    throw err;
  }
}

/** Adds attributes to a running span (through guardAttributes); nothing for none. */
export function annotate(span: Span | undefined, attributes: SpanAttributes): void {
  span?.setAttributes(guardAttributes(attributes));
}
