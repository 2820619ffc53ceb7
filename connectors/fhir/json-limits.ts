/**
 * Structural limits of a FHIR JSON body, checked on the raw bytes before `JSON.parse` (issue 20,
 * finding 6): a 4 MiB body with 259,541 keys took seconds to parse and validate on the event loop.
 * The scan is one pass over the bytes, skipping string contents with `Buffer.indexOf` (native), so
 * it costs a few milliseconds per MiB and stops at the first limit exceeded: a body over a limit is
 * never parsed nor validated.
 *
 * Why not a library: the streaming JSON parsers on npm (`@streamparser/json`, `stream-json`) are
 * JavaScript tokenizers tens of times slower than V8's `JSON.parse` and have no key, depth or array
 * limits of their own (they would have to be counted from their events, on the same event loop);
 * `secure-json-parse` guards only against prototype poisoning. Counting structure needs only the
 * JSON punctuation outside strings, which this scan reads.
 */

/** The limits of one body. */
export interface JsonLimits {
  /** Object members in the whole body (every `"key":`), default 100,000. */
  maxKeys: number;
  /** Nesting of objects and arrays, default 64 (FHIR resources nest about 10 deep). */
  maxDepth: number;
  /** Elements of any one array, default 10,000. */
  maxArrayLength: number;
}

export const DEFAULT_FHIR_JSON_LIMITS: Readonly<JsonLimits> = Object.freeze({ maxKeys: 100_000, maxDepth: 64, maxArrayLength: 10_000 });

/** The first limit a body exceeds, and the byte offset at which it did. */
export interface LimitBreach {
  limit: keyof JsonLimits;
  max: number;
  offset: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Counts the structure of `bytes` (JSON) and returns the first limit exceeded, or undefined when
 * within every limit. Outside strings, each `:` ends a key and each `,` inside an array separates
 * two elements. The bytes need not be valid JSON: an invalid body within the limits is left for
 * `JSON.parse` to refuse.
 */
export function exceededLimit(bytes: Buffer, limits: JsonLimits = DEFAULT_FHIR_JSON_LIMITS): LimitBreach | undefined {
  const commas = new Int32Array(limits.maxDepth + 2);
  const inArray = new Uint8Array(limits.maxDepth + 2);
  let depth = 0;
  let keys = 0;
  for (let i = 0; i < bytes.length; i++) {
    switch (bytes[i]) {
      case QUOTE:
        i = closingQuote(bytes, i);
        if (i < 0) return undefined;
        break;
      case 0x7b: // {
      case 0x5b: // [
        if (++depth > limits.maxDepth) return { limit: 'maxDepth', max: limits.maxDepth, offset: i };
        inArray[depth] = bytes[i] === 0x5b ? 1 : 0;
        commas[depth] = 0;
        break;
      case 0x7d: // }
      case 0x5d: // ]
        if (depth > 0) depth--;
        break;
      case 0x3a: // :
        if (++keys > limits.maxKeys) return { limit: 'maxKeys', max: limits.maxKeys, offset: i };
        break;
      case 0x2c: // ,
        if (inArray[depth] === 1 && ++commas[depth]! >= limits.maxArrayLength)
          return { limit: 'maxArrayLength', max: limits.maxArrayLength, offset: i };
        break;
      default:
    }
  }
  return undefined;
}

/** The offset of the quote closing the string opened at `open`, or -1 when the string never ends. */
function closingQuote(bytes: Buffer, open: number): number {
  let at = open;
  for (;;) {
    at = bytes.indexOf(QUOTE, at + 1);
    if (at < 0) return -1;
    let backslashes = 0;
    while (bytes[at - 1 - backslashes] === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return at;
  }
}

/** What a breach is called in an answer: the limit, its value, and where the body exceeded it. */
export function describeBreach(b: LimitBreach): string {
  const what = { maxKeys: 'object keys', maxDepth: 'levels of nesting', maxArrayLength: 'elements in one array' }[b.limit];
  return `The body has more than ${b.max} ${what} (limit ${b.limit} = ${b.max}, exceeded at byte ${b.offset}); it was not processed`;
}
