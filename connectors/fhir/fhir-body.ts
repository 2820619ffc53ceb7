import { isUtf8 } from 'node:buffer';
import { MIMEType } from 'node:util';
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { describeBreach, exceededLimit, type JsonLimits } from './json-limits.ts';

/** A FHIR JSON body read: its text (for the validation workers) and its value. */
export interface ReadBody {
  ok: true;
  text: string;
  value: unknown;
}

/** A body refused before it was parsed or validated: the HTTP status and the OperationOutcome issue's code and text. */
export interface RefusedBody {
  ok: false;
  status: 400 | 413 | 415;
  code: OperationOutcomeIssue['code'];
  text: string;
}

/**
 * Reads the bytes of a FHIR JSON request body, in this order, each refusal answered before any later
 * step runs:
 * 1. a `charset` other than UTF-8 in Content-Type: 415 `not-supported`. FHIR R4 http.html (Content
 *    Types and encodings) says FHIR uses UTF-8 for all bodies and the charset SHALL be UTF-8, so a
 *    body declared in another charset is a media type this server does not take (RFC 9110 §15.5.16).
 *    A Content-Type without `charset` is read as UTF-8.
 * 2. bytes that are not UTF-8: 400 `structure`, naming the byte offset where the first invalid sequence starts
 *    (never replaced by U+FFFD and stored).
 * 3. more keys, nesting or array elements than `limits`: 413 `too-costly` naming the limit.
 * 4. not JSON: 400 `structure`.
 */
export function readFhirBody(contentType: string | undefined, bytes: Buffer, limits: JsonLimits): ReadBody | RefusedBody {
  const charset = charsetOf(contentType);
  if (charset !== undefined && !['utf-8', 'utf8'].includes(charset.toLowerCase())) {
    return {
      ok: false,
      status: 415,
      code: 'not-supported',
      text: `FHIR bodies are UTF-8 (FHIR R4 http.html); charset=${charset.slice(0, 40)} is not supported`,
    };
  }
  if (!isUtf8(bytes))
    return {
      ok: false,
      status: 400,
      code: 'structure',
      text: `The body is not valid UTF-8: the first invalid sequence starts at byte offset ${firstInvalidUtf8(bytes)}`,
    };
  const breach = exceededLimit(bytes, limits);
  if (breach) return { ok: false, status: 413, code: 'too-costly', text: describeBreach(breach) };
  const text = bytes.toString('utf8');
  try {
    return { ok: true, text, value: JSON.parse(text) };
  } catch {
    return { ok: false, status: 400, code: 'structure', text: 'The body is not valid JSON' };
  }
}

/**
 * The `charset` parameter of a Content-Type, undefined when absent (or the header is unreadable: the parser was chosen by its media type).
 */
function charsetOf(contentType: string | undefined): string | undefined {
  if (!contentType) return undefined;
  try {
    return new MIMEType(contentType).params.get('charset') ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * The byte offset at which the first invalid UTF-8 sequence of `bytes` starts (only called on bytes
 * that are not UTF-8): a Latin-1 `é` (0xE9) is reported at its own offset, not at the byte after it
 * that failed to continue it. The shortest prefix a fatal streaming decoder refuses ends at the
 * first byte that cannot continue the text; when that byte interrupts a character begun before it,
 * the character's lead byte is reported. When every prefix decodes, the body ends inside a
 * character, whose lead byte is reported.
 */
export function firstInvalidUtf8(bytes: Buffer): number {
  const refuses = (n: number): boolean => {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, n), { stream: true });
      return false;
    } catch {
      return true;
    }
  };
  if (!refuses(bytes.length)) return leadBefore(bytes, bytes.length) ?? bytes.length - 1;
  let low = 0;
  let high = bytes.length;
  while (high - low > 1) {
    const mid = (low + high) >>> 1;
    if (refuses(mid)) high = mid;
    else low = mid;
  }
  return leadBefore(bytes, high - 1) ?? high - 1;
}

/** The lead byte of a character begun before `end` and not complete there, if any. */
function leadBefore(bytes: Buffer, end: number): number | undefined {
  for (let at = end - 1; at >= 0 && at >= end - 3; at--) {
    const b = bytes[at]!;
    if ((b & 0xc0) === 0x80) continue;
    const length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return length > end - at ? at : undefined;
  }
  return undefined;
}
