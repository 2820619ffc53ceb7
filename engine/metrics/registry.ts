import { SwitchboardError } from '../errors.ts';
import type { HistogramSeries, PrometheusText } from './prometheus-text.ts';

/** Label values of one series, in the order of its family's label names. */
type Values = readonly string[];

/** The key of one series: its label values joined by a byte no label value holds (ids, codes, outcomes). */
const keyOf = (values: Values) => values.join('\u0000');

function labelsOf(names: readonly string[], values: Values): Record<string, string> {
  return Object.fromEntries(names.map((n, i) => [n, values[i] ?? '']));
}

function checkArity(name: string, names: readonly string[], values: Values): void {
  if (values.length !== names.length) throw new SwitchboardError('INTERNAL', `${name} takes labels ${names.join(', ')}`);
}

/**
 * A counter family kept in this process since it started: `inc` adds to the series of the given
 * label values. Label values must be ids, types, codes or outcomes (bounded sets, never message
 * content): the caller's contract, as the family cannot tell.
 */
export class Counter {
  private readonly series = new Map<string, { values: Values; value: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {}

  /** Adds `by` (≥ 0; a negative or non-finite amount is ignored: counters only go up). */
  inc(values: Values, by = 1): void {
    checkArity(this.name, this.labelNames, values);
    if (!(by >= 0) || !Number.isFinite(by)) return;
    const key = keyOf(values);
    const s = this.series.get(key);
    if (s) s.value += by;
    else this.series.set(key, { values, value: by });
  }

  /** The series' value, 0 when never incremented. */
  value(values: Values): number {
    return this.series.get(keyOf(values))?.value ?? 0;
  }

  write(out: PrometheusText): void {
    const samples = [...this.series.values()].map((s) => ({ labels: labelsOf(this.labelNames, s.values), value: s.value }));
    out.counter(this.name, this.help, samples);
  }
}

/**
 * The bucket an observation falls in: the index of the first upper bound ≥ `value` (Prometheus'
 * `le`, inclusive), or `bounds.length` (+Inf) past the last. `bounds` ascend.
 */
export function bucketIndex(bounds: readonly number[], value: number): number {
  let lo = 0;
  let hi = bounds.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (value <= bounds[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Per-bucket counts (not cumulative) turned into the cumulative counts the exposition writes. */
export function cumulative(counts: readonly number[]): number[] {
  let total = 0;
  return counts.map((c) => (total += c));
}

/**
 * A histogram family kept in this process: `observe` counts a value (seconds, or the family's
 * unit) in its bucket and adds it to the sum. `bounds` must ascend strictly; +Inf is implied.
 */
export class Histogram {
  private readonly series = new Map<string, { values: Values; counts: number[]; sum: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    readonly bounds: readonly number[],
  ) {
    if (bounds.some((b, i) => i > 0 && b <= bounds[i - 1]!)) throw new SwitchboardError('INTERNAL', `${name}: bounds must ascend`);
  }

  /** Counts `value`; a NaN or negative value is ignored (a clock step, not an observation). */
  observe(values: Values, value: number): void {
    checkArity(this.name, this.labelNames, values);
    if (!(value >= 0)) return;
    const key = keyOf(values);
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = { values, counts: new Array<number>(this.bounds.length + 1).fill(0), sum: 0 }));
    s.counts[bucketIndex(this.bounds, value)]! += 1;
    s.sum += value;
  }

  /** One series as the exposition writes it (cumulative buckets), or undefined when never observed. */
  snapshot(values: Values): HistogramSeries | undefined {
    const s = this.series.get(keyOf(values));
    if (!s) return undefined;
    const buckets = cumulative(s.counts);
    return { labels: labelsOf(this.labelNames, s.values), buckets, sum: s.sum, count: buckets.at(-1)! };
  }

  write(out: PrometheusText): void {
    const series = [...this.series.values()].map((s) => this.snapshot(s.values)!);
    out.histogram(this.name, this.help, this.bounds, series);
  }
}
