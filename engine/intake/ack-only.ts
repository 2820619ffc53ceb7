import {
  buildAck,
  buildBatchAck,
  decodeBytes,
  encodeText,
  firstSegmentBytes,
  Hl7ParseError,
  isBatch,
  parseBatch,
  readHeader,
  type Hl7Header,
} from '../../hl7v2/index.ts';
import { accepts, type ChannelDefinition } from '../channel.ts';
import type { Intake } from '../connector.ts';
import type { Logger } from '../log.ts';
import { ErrorCatalog } from '../errors.ts';
import { ackControlId, answer, encoded, worstAck, notAccepted, type OneResult } from './hl7-answers.ts';
import type { IntakeResult } from './hl7-answers.ts';

/**
 * HL7v2 intake for benchmarks (INTAKE_ACK_ONLY), chosen when the engine builds its intake: the
 * header is read and answered AA (AR when it cannot be read or the type is not accepted), and
 * NOTHING is stored. It measures the MLLP source and codec alone. A batch is answered message by
 * message the same way.
 */
export function ackOnlyHl7(log: Logger): Intake['hl7'] {
  log.warn('INTAKE_ACK_ONLY is set: MLLP messages are acknowledged WITHOUT being stored (benchmark mode)');
  return async (channel, bytes, opts = {}) => {
    const defaultCharset = opts.defaultCharset ?? 'UNICODE UTF-8';
    // The header is all it reads: decode the first segment only, unless it opens a batch.
    const head = decodeBytes(firstSegmentBytes(bytes), { defaultCharset });
    if (isBatch(head.text)) return batchOnly(channel, bytes, defaultCharset);
    return encoded(headerOnly(channel, head.text), head.charset);
  };
}

/** A batch: each message's header answered, joined in a batch ACK; an envelope that cannot be read gets AR. */
function batchOnly(channel: ChannelDefinition, bytes: Uint8Array, defaultCharset: string): IntakeResult {
  const { text, charset } = decodeBytes(bytes, { defaultCharset });
  try {
    const batch = parseBatch(text, { charset });
    const answers = batch.messages.map((m) => headerOnly(channel, m.encode()));
    return {
      ack: encodeText(buildBatchAck({ batch, acks: answers.map((a) => a.ackText), controlId: ackControlId() }), charset),
      code: worstAck(answers.map((a) => a.code)),
    };
  } catch (err) {
    if (!(err instanceof Hl7ParseError)) throw err;
    return encoded(answer(undefined, 'AR', { text: err.reason, hl7ErrorCode: err.hl7ErrorCode }), charset);
  }
}

function headerOnly(channel: ChannelDefinition, text: string): OneResult {
  let header: Hl7Header | undefined;
  try {
    header = readHeader(text);
    if (accepts(channel, header.messageType, header.triggerEvent))
      return { ackText: buildAck({ header, code: 'AA', controlId: ackControlId() }), code: 'AA' };
    return answer(header, 'AR', { text: notAccepted(channel, header), hl7ErrorCode: ErrorCatalog.HL7_TYPE_NOT_ACCEPTED.hl7ErrorCode });
  } catch (err) {
    if (!(err instanceof Hl7ParseError)) throw err;
    return answer(header, 'AR', { text: err.reason, hl7ErrorCode: err.hl7ErrorCode });
  }
}
