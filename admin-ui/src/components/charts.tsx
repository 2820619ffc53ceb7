/**
 * Charts drawn as inline SVG (no chart library): scaled in a viewBox, coloured by CSS classes, each
 * with a text alternative. Presentation attributes only, no style attributes (the CSP forbids them).
 */

export interface MinuteBar {
  label: string;
  value: number;
  /** The part of `value` that is errors, drawn over it. */
  errors: number;
}

const W = 600;
const H = 140;
const PAD = { top: 10, right: 8, bottom: 22, left: 34 };

/** A rounded-up axis maximum: 1, 2, 5, 10, 20, 50… */
function niceMax(v: number): number {
  if (v <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return ([1, 2, 5, 10].find((m) => m * p >= v) ?? 10) * p;
}

/** Messages per minute as bars, errors in another colour over them; the first, middle and last minutes labelled. */
export function MinuteBars({ bars, label }: { bars: MinuteBar[]; label: string }) {
  const max = niceMax(Math.max(...bars.map((b) => b.value), 0));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const step = plotW / Math.max(bars.length, 1);
  const y = (v: number) => PAD.top + plotH - (v / max) * plotH;
  const labelled = new Set([0, Math.floor((bars.length - 1) / 2), bars.length - 1]);
  return (
    <svg class="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label}>
      <title>{label}</title>
      <line class="axis" x1={PAD.left} x2={W - PAD.right} y1={y(0)} y2={y(0)} />
      <line class="grid" x1={PAD.left} x2={W - PAD.right} y1={y(max)} y2={y(max)} />
      <text class="tick" x={PAD.left - 4} y={y(max) + 4} text-anchor="end">
        {max}
      </text>
      <text class="tick" x={PAD.left - 4} y={y(0) + 4} text-anchor="end">
        0
      </text>
      {bars.map((b, i) => {
        const x = PAD.left + i * step + step * 0.15;
        const w = step * 0.7;
        return (
          <g>
            <rect class="bar" x={x} width={w} y={y(b.value)} height={y(0) - y(b.value)} data-value={b.value}>
              <title>{`${b.label}: ${b.value} received, ${b.errors} errors`}</title>
            </rect>
            {b.errors > 0 && <rect class="bar-error" x={x} width={w} y={y(b.errors)} height={y(0) - y(b.errors)} />}
            {labelled.has(i) && (
              <text class="tick" x={x + w / 2} y={H - 6} text-anchor="middle">
                {b.label}
              </text>
            )}
          </g>
        );
      })}
    </svg>
  );
}

/** A small line of the last values (oldest first), with the latest value (or `text`) beside it. */
export function Sparkline({ values, label, text }: { values: number[]; label: string; text?: string }) {
  const w = 120;
  const h = 28;
  const max = niceMax(Math.max(...values, 0));
  // One reading is drawn as a flat line across.
  const series = values.length === 1 ? [values[0]!, values[0]!] : values;
  const points = series.map((v, i) => `${(i / (series.length - 1)) * w},${h - 2 - (v / max) * (h - 4)}`).join(' ');
  return (
    <span class="spark">
      <svg viewBox={`0 0 ${w} ${h}`} width={w} height={h} role="img" aria-label={`${label}: last ${values.length} readings`}>
        <polyline class="spark-line" points={points} />
      </svg>
      <span class="spark-value">{text ?? values.at(-1) ?? 0}</span>
    </span>
  );
}
