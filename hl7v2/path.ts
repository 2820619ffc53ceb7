/**
 * Paths in the corpus notation `SEG(n)-f[r].c.s`: segment, its n-th occurrence (default 1), field,
 * repetition (default 1), component, subcomponent; all counted from 1. Parsed paths are cached:
 * transforms read the same few paths over and over.
 */
export interface Hl7Path {
  segment: string;
  occurrence: number;
  field: number;
  /** undefined: the whole field (all repetitions), as written. */
  repetition: number | undefined;
  component: number | undefined;
  subcomponent: number | undefined;
}

const PATH = /^([A-Z0-9]{3})(?:\((\d+)\))?(?:-(\d+)(?:\[(\d+)\])?(?:\.(\d+)(?:\.(\d+))?)?)?$/;
const cache = new Map<string, Hl7Path>();

/** Parses a path; throws a TypeError naming it when it is not in the notation (a caller's bug). */
export function parsePath(path: string): Hl7Path {
  const hit = cache.get(path);
  if (hit) return hit;
  const m = PATH.exec(path);
  if (!m || m[3] === undefined) throw new TypeError(`'${path}' is not an HL7 path such as PID-5.1 or FT1(2)-7[1].3`);
  const num = (s: string | undefined) => (s === undefined ? undefined : Number(s));
  const parsed: Hl7Path = {
    segment: m[1]!,
    occurrence: num(m[2]) ?? 1,
    field: Number(m[3]),
    repetition: num(m[4]),
    component: num(m[5]),
    subcomponent: num(m[6]),
  };
  if (parsed.occurrence < 1 || parsed.field < 1 || parsed.repetition === 0 || parsed.component === 0 || parsed.subcomponent === 0) {
    throw new TypeError(`'${path}': positions count from 1`);
  }
  if (cache.size < 10_000) cache.set(path, parsed);
  return parsed;
}
