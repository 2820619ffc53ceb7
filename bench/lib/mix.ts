/**
 * The benchmark message mix of issue 9: 60% ADT (A01, A08, A03), 30% ORU^R01 with 10–30 OBX,
 * 8% DFT^P03 with 1–5 FT1 (some SUP- supplies), 2% large ORU^R01 (one base64 OBX, 100 KB to
 * 1 MB). Every message passes the `ehr-mllp` channel: ADT and DFT are transformed and delivered
 * to the ERP, ORU is stored as `filtered`. Messages are drawn from a seeded pool of templates,
 * so two runs with the same seed send the same bytes; only MSH-10 (the control id) changes.
 */
export type MixKind = 'adt' | 'oru' | 'dft' | 'large';

/** One framed message, ready to write: `0x0B … 0x1C 0x0D`. */
export interface MixMessage {
  kind: MixKind;
  controlId: string;
  frame: Buffer;
}

/** Share of each kind, in percent (sums to 100). */
export const MIX_SHARES: Readonly<Record<MixKind, number>> = { adt: 60, oru: 30, dft: 8, large: 2 };

/** Largest frame the mix makes: under the engine's default MLLP_MAX_FRAME_BYTES (1 MiB). */
export const MAX_LARGE_BYTES = 1_000_000;

/** mulberry32: a small seeded PRNG, good enough to pick templates. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A template split around MSH-10, so a control id is spliced in without re-encoding the rest. */
interface Template {
  kind: MixKind;
  head: Buffer;
  tail: Buffer;
}

const TS = '20260315083000';
const pick = <T>(rnd: () => number, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
const between = (rnd: () => number, lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));

function msh(type: string): string {
  return `MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|${TS}||${type}|`;
}

function patient(rnd: () => number, i: number): { pid: string; pv1: string } {
  const mrn = 100000 + between(rnd, 0, 49_999);
  const cls = pick(rnd, ['I', 'O', 'E']);
  return {
    pid:
      `PID|1||${mrn}^^^GENHOSP^MR||${pick(rnd, ['DOE', 'ROE', 'SMITH', "O'NEIL"])}^${pick(rnd, ['JANE', 'JOHN', 'ALEX'])}^M||` +
      `19${between(rnd, 30, 99)}0412|${pick(rnd, ['F', 'M'])}|||12 ELM ST^^SPRINGFIELD^IL^62701`,
    pv1:
      `PV1|1|${cls}|4W^${between(rnd, 100, 499)}^B^GENHOSP||||1234567^WELBY^MARCUS|||MED||||ADM|||1234567^WELBY^MARCUS|IN|` +
      `V${i}${between(rnd, 1000, 9999)}`,
  };
}

function adt(rnd: () => number, i: number): [string, string] {
  const trigger = pick(rnd, ['A01', 'A01', 'A08', 'A03']);
  const { pid, pv1 } = patient(rnd, i);
  const extra = Array.from(
    { length: between(rnd, 0, 3) },
    (_, k) => `DG1|${k + 1}||I10^${pick(rnd, ['J18.9', 'I10', 'E11.9'])}^I10||${TS}|A`,
  );
  return [msh(`ADT^${trigger}^ADT_A01`), ['|P|2.5.1', `EVN|${trigger}|${TS}`, pid, `NK1|1|DOE^JOHN|SPO`, pv1, ...extra].join('\r')];
}

function oru(rnd: () => number, i: number, observations: number): [string, string] {
  const { pid, pv1 } = patient(rnd, i);
  const obx = Array.from(
    { length: observations },
    (_, k) =>
      `OBX|${k + 1}|NM|${2000 + k}-${k % 10}^ANALYTE ${k}^LN||${(rnd() * 200).toFixed(1)}|mg/dL|10-150|` +
      `${pick(rnd, ['N', 'H', 'L'])}|||F|||${TS}`,
  );
  return [
    msh('ORU^R01^ORU_R01'),
    ['|P|2.5.1', pid, pv1, `ORC|RE|ORD${i}|FIL${i}`, `OBR|1|ORD${i}|FIL${i}|80053^COMP METABOLIC PANEL^CPT|||${TS}`, ...obx].join('\r'),
  ];
}

function dft(rnd: () => number, i: number): [string, string] {
  const { pid, pv1 } = patient(rnd, i);
  const lines = Array.from({ length: between(rnd, 1, 5) }, (_, k) =>
    rnd() < 0.3
      ? `FT1|${k + 1}|||${TS}||CG|SUP-${between(rnd, 100, 999)}^GAUZE PACK^HCPCS|||${between(rnd, 1, 4)}|4.20^USD||SURG^SURGERY`
      : `FT1|${k + 1}|||${TS}||CG|${pick(rnd, ['99213^OFFICE VISIT^CPT', '80053^CMP^CPT', 'J1100^DEXAMETHASONE^HCPCS'])}|||1|` +
        `${(rnd() * 300).toFixed(2)}^USD||CLIN01^CLINIC|||||||9988^DOC^DAN`,
  );
  return [msh('DFT^P03^DFT_P03'), ['|P|2.5.1', `EVN|P03|${TS}`, pid, pv1, ...lines, `ZFT|1|CC${between(rnd, 100, 999)}|GL4000`].join('\r')];
}

function large(rnd: () => number, i: number): [string, string] {
  const [head, body] = oru(rnd, i, 2);
  const target = between(rnd, 100_000, MAX_LARGE_BYTES - 2_000);
  const base64 = Buffer.alloc(Math.ceil((target - body.length) * 0.75), i % 251)
    .toString('base64')
    .slice(0, target - body.length);
  return [head, `${body}\rOBX|3|ED|PDF^REPORT^L||^AP^PDF^Base64^${base64}||||||F`];
}

function template(kind: MixKind, rnd: () => number, i: number): Template {
  const [head, rest] =
    kind === 'adt' ? adt(rnd, i) : kind === 'oru' ? oru(rnd, i, between(rnd, 10, 30)) : kind === 'dft' ? dft(rnd, i) : large(rnd, i);
  return { kind, head: Buffer.from(`\x0b${head}`, 'utf8'), tail: Buffer.from(`${rest}\r\x1c\r`, 'utf8') };
}

export interface MixOptions {
  seed: number;
  /** Prefix of every control id, unique per run (MSH-10 is at most 20 characters: keep it short). */
  tag: string;
  /** Templates made per kind (large: a tenth of it, at least 4). */
  poolSize?: number;
}

/**
 * A seeded generator of the mix. `next()` draws a kind by its share and a template of that kind,
 * and splices in the control id `<tag><n base 36>`.
 */
export class MessageMix {
  private readonly rnd: () => number;
  private readonly pools: Record<MixKind, Template[]>;
  private n = 0;

  constructor(private readonly options: MixOptions) {
    this.rnd = seededRandom(options.seed);
    const size = options.poolSize ?? 64;
    const make = (kind: MixKind, count: number) => Array.from({ length: count }, (_, i) => template(kind, this.rnd, i));
    this.pools = {
      adt: make('adt', size),
      oru: make('oru', size),
      dft: make('dft', size),
      large: make('large', Math.max(4, Math.round(size / 10))),
    };
  }

  /** The kind the next draw gives, by share. */
  private drawKind(): MixKind {
    let r = this.rnd() * 100;
    for (const kind of Object.keys(MIX_SHARES) as MixKind[]) {
      r -= MIX_SHARES[kind];
      if (r < 0) return kind;
    }
    return 'adt';
  }

  next(kind: MixKind = this.drawKind()): MixMessage {
    const d = this.draw(kind);
    return { kind: d.kind, controlId: d.controlId, frame: d.frame() };
  }

  /** The next message without its bytes yet: `frame()` makes them (an open-loop backlog holds only this). */
  draw(kind: MixKind = this.drawKind()): { kind: MixKind; controlId: string; frame(): Buffer } {
    const t = pick(this.rnd, this.pools[kind]);
    const controlId = `${this.options.tag}${(this.n++).toString(36)}`;
    return { kind, controlId, frame: () => Buffer.concat([t.head, Buffer.from(controlId, 'latin1'), t.tail]) };
  }
}
