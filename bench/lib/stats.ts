/** Latency summaries: percentiles by rank over every sample (no histogram buckets, no sampling). */
export interface Percentiles {
  count: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

/** p50/p99/p999/max of `samples` (milliseconds), two decimals; zeros when empty. */
export function percentiles(samples: ArrayLike<number>): Percentiles {
  const sorted = Float64Array.from(samples).sort();
  const at = (p: number) => (sorted.length === 0 ? 0 : round(sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!));
  return { count: sorted.length, p50: at(0.5), p99: at(0.99), p999: at(0.999), max: at(1) };
}

export const round = (x: number, digits = 2): number => Number(x.toFixed(digits));

/** The middle value of `xs` (the mean of the two middle ones for an even count); NaN when empty. */
export function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length === 0 ? Number.NaN : sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Ratio a / b with three decimals (0 when b is 0). */
export const ratio = (a: number, b: number): number => (b === 0 ? 0 : round(a / b, 3));

/**
 * Groups timed samples into windows of `windowMs` from `startMs`: for each window, how many
 * samples and their p99 (for time series such as the soak's latency over time).
 */
export function windows(
  samples: { at: number; value: number }[],
  o: { startMs: number; windowMs: number },
): { t: number; count: number; p99: number }[] {
  const buckets = new Map<number, number[]>();
  for (const s of samples) {
    const k = Math.floor((s.at - o.startMs) / o.windowMs);
    if (k < 0) continue;
    let b = buckets.get(k);
    if (!b) buckets.set(k, (b = []));
    b.push(s.value);
  }
  return [...buckets.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([k, v]) => ({ t: ((k + 1) * o.windowMs) / 1000, count: v.length, p99: percentiles(v).p99 }));
}
