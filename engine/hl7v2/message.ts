import type { Delimiters } from './delimiters.ts';
import { unescapeValue } from './escape.ts';
import type { Hl7Header } from './header.ts';
import { parsePath, type Hl7Path } from './path.ts';

/**
 * One segment as written, split into fields only when first read. Field numbers follow the
 * standard: for MSH, field 1 is the field separator and field 2 the encoding characters.
 */
export class Hl7Segment {
  private fields: string[] | undefined;

  constructor(
    readonly name: string,
    /** The segment's text, without terminator. */
    readonly raw: string,
    private readonly d: Delimiters,
  ) {}

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
    return this.isHeaderEncodingField(p.field) ? raw : unescapeValue(raw, this.d);
  }

  repetitions(field: number): string[] {
    const raw = this.field(field);
    if (raw === '') return [];
    if (this.isHeaderEncodingField(field)) return [raw];
    return raw.split(this.d.repetition).map((r) => unescapeValue(r, this.d));
  }

  private isHeaderEncodingField(n: number): boolean {
    return n <= 2 && (this.name === 'MSH' || this.name === 'FHS' || this.name === 'BHS');
  }
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
