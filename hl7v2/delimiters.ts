import { Hl7ParseError } from './errors.ts';

/** Separators declared in MSH-1 and MSH-2 (HL7 v2.5.1 §2.5.4; v2.7 adds the truncation character). */
export interface Delimiters {
  field: string;
  component: string;
  repetition: string;
  escape: string;
  subcomponent: string;
  truncation?: string;
  segment: '\r';
}

export const DEFAULT_DELIMITERS: Delimiters = {
  field: '|',
  component: '^',
  repetition: '~',
  escape: '\\',
  subcomponent: '&',
  segment: '\r',
};

/**
 * Reads the delimiters from a header segment (MSH, FHS or BHS) starting at `start` in `text`.
 * Throws Hl7ParseError when the segment is too short or the characters are not usable separators.
 */
export function readDelimiters(text: string, start: number, line: number): Delimiters {
  const segment = text.slice(start, start + 3);
  const field = text[start + 3];
  if (field === undefined || field === '\r' || field === '\n') {
    throw new Hl7ParseError({
      reason: `${segment} is too short to declare its delimiters`,
      line,
      position: start,
      segment,
      hl7ErrorCode: '100',
    });
  }
  let end = start + 4;
  while (end < text.length && text[end] !== field && text[end] !== '\r' && text[end] !== '\n') end++;
  const enc = text.slice(start + 4, end);
  if (enc.length < 4 || enc.length > 5) {
    throw new Hl7ParseError({
      reason: `${segment}-2 must hold 4 encoding characters (5 with truncation), found ${enc.length}`,
      line,
      position: start + 4,
      segment,
      hl7ErrorCode: '102',
    });
  }
  const all = field + enc;
  for (let i = 0; i < all.length; i++) {
    const c = all[i]!;
    if (/[A-Za-z0-9\s]/.test(c) || all.indexOf(c) !== i) {
      throw new Hl7ParseError({
        reason: `${segment}-1/${segment}-2 declare an unusable or repeated delimiter`,
        line,
        position: start + 3 + i,
        segment,
        hl7ErrorCode: '102',
      });
    }
  }
  return {
    field,
    component: enc[0]!,
    repetition: enc[1]!,
    escape: enc[2]!,
    subcomponent: enc[3]!,
    ...(enc.length === 5 ? { truncation: enc[4]! } : {}),
    segment: '\r',
  };
}
