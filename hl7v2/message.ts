import { DEFAULT_CHARSET } from './charset.ts';
import type { Delimiters } from './delimiters.ts';
import { escapeValue, unescapeValue } from './escape.ts';
import { parsePath, type Hl7Path } from './path.ts';

/** The MSH fields that identify, route and acknowledge a message (decoded). */
export interface Hl7Header {
  delimiters: Delimiters;
  sendingApplication: string;
  sendingFacility: string;
  receivingApplication: string;
  receivingFacility: string;
  timestamp: string;
  messageType: string;
  triggerEvent: string;
  messageStructure: string;
  controlId: string;
  processingId: string;
  version: string;
  acceptAckType: string;
  applicationAckType: string;
  charset: string;
}

/**
 * One segment as written, split into fields only when first read. Field numbers follow the
 * standard: for MSH, field 1 is the field separator and field 2 the encoding characters.
 * `charset` (HL7 name) is the message's, in which hex escapes are decoded.
 */
export class Hl7Segment {
  private fields: string[] | undefined;

  constructor(
    readonly name: string,
    /** The segment's text, without terminator. Changed only through `set`. */
    private text: string,
    private readonly d: Delimiters,
    private readonly charset: string = DEFAULT_CHARSET,
  ) {}

  get raw(): string {
    return this.text;
  }

  /**
   * Writes `value` (escaped for the message's delimiters) at a field-relative position, creating
   * the fields, repetitions and components it needs. MSH-1 and MSH-2 cannot be set.
   */
  set(p: Pick<Hl7Path, 'field' | 'repetition' | 'component' | 'subcomponent'>, value: string): void {
    if (this.isHeaderEncodingField(p.field)) throw new TypeError(`${this.name}-${p.field} holds the delimiters and cannot be set`);
    const fields = this.text.split(this.d.field);
    const index = this.name === 'MSH' || this.name === 'FHS' || this.name === 'BHS' ? p.field - 1 : p.field;
    while (fields.length <= index) fields.push('');
    const escaped = escapeValue(value, this.d);
    if (p.repetition === undefined && p.component === undefined) {
      fields[index] = escaped;
    } else {
      const reps = replaceNth(fields[index]!, this.d.repetition, p.repetition ?? 1, (rep) =>
        p.component === undefined
          ? escaped
          : replaceNth(rep, this.d.component, p.component, (comp) =>
              p.subcomponent === undefined ? escaped : replaceNth(comp, this.d.subcomponent, p.subcomponent, () => escaped),
            ),
      );
      fields[index] = reps;
    }
    this.text = fields.join(this.d.field);
    this.fields = undefined;
  }

  /** The raw text of field `n` ('' when absent). */
  field(n: number): string {
    if (this.name === 'MSH' || this.name === 'FHS' || this.name === 'BHS') {
      if (n === 1) return this.d.field;
      this.fields ??= this.raw.split(this.d.field);
      return this.fields[n - 1] ?? '';
    }
    this.fields ??= this.raw.split(this.d.field);
    return this.fields[n] ?? '';
  }

  /** Number of fields present, trailing empty ones included. */
  fieldCount(): number {
    this.fields ??= this.raw.split(this.d.field);
    return this.name === 'MSH' || this.name === 'FHS' || this.name === 'BHS' ? this.fields.length : this.fields.length - 1;
  }

  /** Raw value at a field-relative position (repetition, component, subcomponent all optional). */
  rawAt(p: Pick<Hl7Path, 'field' | 'repetition' | 'component' | 'subcomponent'>): string {
    const raw = this.field(p.field);
    if (this.isHeaderEncodingField(p.field)) return raw;
    if (p.repetition === undefined && p.component === undefined) return raw;
    let value = nth(raw, this.d.repetition, p.repetition ?? 1);
    if (p.component === undefined) return value;
    value = nth(value, this.d.component, p.component);
    return p.subcomponent === undefined ? value : nth(value, this.d.subcomponent, p.subcomponent);
  }

  /** Decoded value: escape sequences resolved. MSH-1 and MSH-2 are returned as written. */
  get(p: Pick<Hl7Path, 'field' | 'repetition' | 'component' | 'subcomponent'>): string {
    const raw = this.rawAt(p);
    return this.isHeaderEncodingField(p.field) ? raw : unescapeValue(raw, this.d, this.charset);
  }

  repetitions(field: number): string[] {
    const raw = this.field(field);
    if (raw === '') return [];
    if (this.isHeaderEncodingField(field)) return [raw];
    return raw.split(this.d.repetition).map((r) => unescapeValue(r, this.d, this.charset));
  }

  private isHeaderEncodingField(n: number): boolean {
    return n <= 2 && (this.name === 'MSH' || this.name === 'FHS' || this.name === 'BHS');
  }
}

/** `value` split on `sep` with its `n`-th (1-based) piece replaced by `replace(piece)`, padding as needed. */
function replaceNth(value: string, sep: string, n: number, replace: (piece: string) => string): string {
  const pieces = value.split(sep);
  while (pieces.length < n) pieces.push('');
  pieces[n - 1] = replace(pieces[n - 1]!);
  return pieces.join(sep);
}

/** The `n`-th (1-based) piece of `value` split on `sep`, without allocating the whole split. */
function nth(value: string, sep: string, n: number): string {
  let start = 0;
  for (let i = 1; i < n; i++) {
    const next = value.indexOf(sep, start);
    if (next === -1) return '';
    start = next + 1;
  }
  const end = value.indexOf(sep, start);
  return end === -1 ? value.slice(start) : value.slice(start, end);
}

/** A parsed HL7v2 message (see parseMessage). Reading never throws for absent parts: they are ''. */
export class Hl7Message {
  private readonly byName = new Map<string, Hl7Segment[]>();

  constructor(
    readonly header: Hl7Header,
    readonly delimiters: Delimiters,
    private readonly list: Hl7Segment[],
    /** The HL7 charset the message was read in (hex escapes decode in it; see charsetInEffect). */
    readonly charset: string = DEFAULT_CHARSET,
  ) {
    for (const s of list) {
      const group = this.byName.get(s.name);
      if (group) group.push(s);
      else this.byName.set(s.name, [s]);
    }
  }

  /** Decoded value at a corpus path, '' when absent; the HL7 null `""` reads as `""`. */
  get(path: string): string {
    const p = parsePath(path);
    return this.byName.get(p.segment)?.[p.occurrence - 1]?.get(p) ?? '';
  }

  /** The value as it stands in the text, escape sequences untouched. */
  getRaw(path: string): string {
    const p = parsePath(path);
    return this.byName.get(p.segment)?.[p.occurrence - 1]?.rawAt(p) ?? '';
  }

  /** Whether the field at `path` holds the explicit HL7 null `""` (delete the stored value). */
  isNull(path: string): boolean {
    return this.getRaw(path) === '""';
  }

  /** How many repetitions the field at `path` has (0 when empty). */
  repetitionCount(path: string): number {
    const p = parsePath(path);
    const segment = this.byName.get(p.segment)?.[p.occurrence - 1];
    return segment ? segment.repetitions(p.field).length : 0;
  }

  /** Decoded repetitions of the field at `path`. */
  repetitions(path: string): string[] {
    const p = parsePath(path);
    return this.byName.get(p.segment)?.[p.occurrence - 1]?.repetitions(p.field) ?? [];
  }

  /**
   * Writes a value at a path, escaped for this message's delimiters (builder use: ACKs, outbound
   * messages, replays). The segment must exist (see addSegment); the parts it needs are created.
   */
  set(path: string, value: string): this {
    const p = parsePath(path);
    const segment = this.byName.get(p.segment)?.[p.occurrence - 1];
    if (!segment) throw new TypeError(`${path}: the message has no ${p.segment} occurrence ${p.occurrence}`);
    segment.set(p, value);
    return this;
  }

  /** Appends an empty segment (or inserts it after the `after`-th segment) and returns it. */
  addSegment(name: string, after?: number): Hl7Segment {
    if (!/^[A-Z0-9]{3}$/.test(name)) throw new TypeError(`'${name}' is not a segment name`);
    const segment = new Hl7Segment(name, name, this.delimiters, this.charset);
    if (after === undefined) this.list.push(segment);
    else this.list.splice(after, 0, segment);
    this.byName.set(
      name,
      this.list.filter((s) => s.name === name),
    );
    return segment;
  }

  /**
   * Segment groups for transforms: each group starts at a `head` segment and holds the segments
   * after it whose names are in `members`, up to the next head or any other segment. For example
   * `groups('FT1', ['ZFT'])` gives the charge lines of a DFT, `groups('PID', ['PD1', 'PV1', 'PV2'])`
   * a patient with its visit.
   */
  groups(head: string, members: readonly string[]): Hl7Segment[][] {
    const out: Hl7Segment[][] = [];
    let current: Hl7Segment[] | undefined;
    for (const s of this.list) {
      if (s.name === head) out.push((current = [s]));
      else if (current && members.includes(s.name)) current.push(s);
      else current = undefined;
    }
    return out;
  }

  segmentNames(): string[] {
    return this.list.map((s) => s.name);
  }

  /** Segments in order, all or those named `name`. */
  segments(name?: string): Hl7Segment[] {
    return name === undefined ? [...this.list] : [...(this.byName.get(name) ?? [])];
  }

  /** The message as text with CR terminators: byte for byte what was read, for unmodified input. */
  encode(): string {
    let out = '';
    for (const s of this.list) out += `${s.raw}\r`;
    return out;
  }
}
