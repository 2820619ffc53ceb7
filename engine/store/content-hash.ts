import { createHash } from 'node:crypto';

/**
 * The content hash of an HL7v2 message, stored with it (MessageRecord.contentHash) to tell a resend
 * from a reused control id: SHA-256 (hex) of the message as parsed from its charset, given as
 * `Hl7Message.encode()` (its segments as read, each ended by CR), with MSH-7 (date/time of message)
 * left out. The rule: a true resend has the same segments, field for field, after charset decoding;
 * how its segments were ended (CR, LF, CRLF) and blank lines around them do not count, nor does
 * MSH-7, which some senders stamp again on each attempt. Anything else that differs under the same
 * (channel, MSH-3, MSH-4, MSH-10) is another message reusing the control id.
 */
export function hl7ContentHash(encoded: string): string {
  const end = encoded.indexOf('\r');
  const msh = end === -1 ? encoded : encoded.slice(0, end);
  const sep = msh[3] ?? '|';
  const fields = msh.split(sep);
  // MSH-1 is the separator itself, so MSH-n is fields[n - 1]: MSH-7 is fields[6].
  if (fields.length > 6) fields[6] = '';
  return createHash('sha256')
    .update(fields.join(sep))
    .update(end === -1 ? '' : encoded.slice(end))
    .digest('hex');
}
