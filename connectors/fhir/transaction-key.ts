import { createHash } from 'node:crypto';

/**
 * JSON with every object's keys in code-point order and no whitespace (the ordering of RFC 8785's
 * JSON Canonicalization Scheme; numbers and strings as JSON.stringify writes them): two parses of the
 * same content give the same text whatever order the sender wrote its keys in.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The de-duplication key of a FHIR transaction sent without Bundle.identifier, If-None-Exist or
 * X-Request-Id: the SHA-256 of its canonical content. A retry of the same transaction (same
 * content, in any key order) gets the first answer; a transaction meant to be taken again with
 * identical content must carry its own Bundle.identifier or X-Request-Id.
 */
export function transactionContentKey(bundle: unknown): string {
  return `txn:sha256:${createHash('sha256').update(canonicalJson(bundle)).digest('hex')}`;
}
