import { SpanKind, type Span } from '@opentelemetry/api';
import type { ReceiptTrace, SourceTracing } from '../../connector.ts';
import { SpanAttribute } from './span-attributes.ts';
import { endSpan, SpanName, startSpan, tracingOn } from './spans.ts';
import { parentFrom } from './trace-carrier.ts';

/** A receipt's span, as intake reads it (receiptSpan); ended once. */
class ReceiptSpan implements ReceiptTrace {
  private open = true;

  constructor(readonly span: Span) {}

  end(answer: { ackCode?: string; httpStatus?: number }): void {
    if (!this.open) return;
    this.open = false;
    endSpan(this.span, {
      outcome: 'answered',
      attributes: { [SpanAttribute.ackCode]: answer.ackCode, [SpanAttribute.httpStatus]: answer.httpStatus },
    });
  }
}

/** What every receipt is while tracing is off. */
const NO_RECEIPT: ReceiptTrace = { end: () => undefined };

/**
 * The engine's SourceTracing (connector.ts), handed to every source kind at start: a SERVER span
 * per MLLP frame or FHIR request, a root (or the child of the sender's own span, from its
 * `traceparent`), with the channel id as its only attribute until the answer's code.
 */
export const sourceTracing: SourceTracing = {
  receive(o) {
    if (!tracingOn()) return NO_RECEIPT;
    const span = startSpan({
      name: o.kind === 'mllp' ? SpanName.mllpFrame : SpanName.fhirRequest,
      kind: SpanKind.SERVER,
      parent: parentFrom(o.headers),
      attributes: { [SpanAttribute.channelId]: o.channelId },
      ...(o.startTime !== undefined ? { startTime: o.startTime } : {}),
    });
    return span ? new ReceiptSpan(span) : NO_RECEIPT;
  },
};

/** The span of a receipt made by sourceTracing, as the parent of intake's spans; undefined for none (or tracing off). */
export function receiptSpan(trace: ReceiptTrace | undefined): Span | undefined {
  return trace instanceof ReceiptSpan ? trace.span : undefined;
}
