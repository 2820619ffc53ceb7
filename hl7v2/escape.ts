import { DEFAULT_CHARSET, decodeHex } from './charset.ts';
import type { Delimiters } from './delimiters.ts';

/**
 * Decodes the escape sequences of one value (§2.7.4): \F\ \S\ \T\ \R\ \E\ to the delimiters,
 * \Xhh…\ to the text its bytes make in the message's `charset` (an HL7 charset name, see
 * charsetInEffect; default UNICODE UTF-8), formatting escapes kept verbatim. Hex data not valid in
 * that charset, and an escape without its closing escape character, are kept as written.
 */
export function unescapeValue(value: string, d: Delimiters, charset: string = DEFAULT_CHARSET): string {
  const esc = d.escape;
  let start = value.indexOf(esc);
  if (start === -1) return value;
  let out = '';
  let pos = 0;
  while (start !== -1) {
    const end = value.indexOf(esc, start + 1);
    if (end === -1) break;
    const body = value.slice(start + 1, end);
    out += value.slice(pos, start);
    const decoded = decodeEscape(body, d, charset);
    out += decoded ?? value.slice(start, end + 1);
    pos = end + 1;
    start = value.indexOf(esc, pos);
  }
  return out + value.slice(pos);
}

function decodeEscape(body: string, d: Delimiters, charset: string): string | undefined {
  switch (body) {
    case 'F':
      return d.field;
    case 'S':
      return d.component;
    case 'T':
      return d.subcomponent;
    case 'R':
      return d.repetition;
    case 'E':
      return d.escape;
    case 'P':
      return d.truncation;
    default:
      if (body.length > 1 && body[0] === 'X' && /^X(?:[0-9A-Fa-f]{2})+$/.test(body)) return decodeHex(body.slice(1), charset);
      // Formatting escapes (\.br\, \H\, \N\ …, §2.7.6) are markup for the receiver and are
      // kept as written, as is any sequence this reader does not know.
      return undefined;
  }
}

/**
 * Escapes one value for writing: every delimiter and the escape character become their escape
 * sequence, so that unescapeValue(escapeValue(v)) === v for any v.
 */
export function escapeValue(value: string, d: Delimiters): string {
  let out = '';
  for (const c of value) {
    if (c === d.escape) out += `${d.escape}E${d.escape}`;
    else if (c === d.field) out += `${d.escape}F${d.escape}`;
    else if (c === d.component) out += `${d.escape}S${d.escape}`;
    else if (c === d.subcomponent) out += `${d.escape}T${d.escape}`;
    else if (c === d.repetition) out += `${d.escape}R${d.escape}`;
    else if (c === '\r') out += `${d.escape}X0D${d.escape}`;
    else if (c === '\n') out += `${d.escape}X0A${d.escape}`;
    else out += c;
  }
  return out;
}
