/**
 * A small SVG line-chart writer for the soak's time series: one or more series over a shared x
 * axis, "nice" ticks on both axes, a legend, and optional horizontal reference lines (a target,
 * a ±10% band). Standalone SVG 1.1, no fonts or scripts to load.
 */
export interface Series {
  name: string;
  points: [number, number][];
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Horizontal lines drawn dashed, with a label (e.g. a target). */
  references?: { y: number; label: string }[];
  /** Start the y axis at zero (default true). */
  yFromZero?: boolean;
  width?: number;
  height?: number;
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];

const escapeXml = (s: string): string => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Up to about `count` round tick values covering [min, max]. */
export function niceTicks(min: number, max: number, count = 6): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  const ticks: number[] = [];
  for (let t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

const label = (v: number): string =>
  Math.abs(v) >= 1e6
    ? `${Number((v / 1e6).toPrecision(3))}M`
    : Math.abs(v) >= 1e4
      ? `${Number((v / 1e3).toPrecision(3))}k`
      : String(Number(v.toPrecision(4)));

export function lineChart(o: ChartOptions): string {
  const width = o.width ?? 800;
  const height = o.height ?? 400;
  const m = { left: 70, right: 20, top: 40, bottom: 70 };
  const all = o.series.flatMap((s) => s.points);
  const xs = all.map((p) => p[0]);
  const ys = [...all.map((p) => p[1]), ...(o.references ?? []).map((r) => r.y)];
  const xMin = Math.min(...xs, 0);
  const xMax = Math.max(...xs, 1);
  const yMin = o.yFromZero === false ? Math.min(...ys) : Math.min(0, ...ys);
  const yMaxRaw = Math.max(...ys, yMin + 1);
  const yMax = yMaxRaw + (yMaxRaw - yMin) * 0.05;
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const sx = (x: number) => m.left + ((x - xMin) / (xMax - xMin || 1)) * plotW;
  const sy = (y: number) => m.top + plotH - ((y - yMin) / (yMax - yMin || 1)) * plotH;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(o.title)}</text>`,
  ];
  for (const t of niceTicks(yMin, yMax)) {
    out.push(`<line x1="${m.left}" x2="${width - m.right}" y1="${sy(t).toFixed(1)}" y2="${sy(t).toFixed(1)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${m.left - 6}" y="${(sy(t) + 4).toFixed(1)}" text-anchor="end">${label(t)}</text>`);
  }
  for (const t of niceTicks(xMin, xMax, 8)) {
    out.push(`<line x1="${sx(t).toFixed(1)}" x2="${sx(t).toFixed(1)}" y1="${m.top + plotH}" y2="${m.top + plotH + 5}" stroke="#333"/>`);
    out.push(`<text x="${sx(t).toFixed(1)}" y="${m.top + plotH + 18}" text-anchor="middle">${label(t)}</text>`);
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${m.left + plotW / 2}" y="${height - 35}" text-anchor="middle">${escapeXml(o.xLabel)}</text>`);
  out.push(`<text transform="translate(16 ${m.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(o.yLabel)}</text>`);
  (o.references ?? []).forEach((r, i) => {
    const y = sy(r.y).toFixed(1);
    out.push(`<line x1="${m.left}" x2="${width - m.right}" y1="${y}" y2="${y}" stroke="#777" stroke-dasharray="6 4"/>`);
    // Alternate right and left, so that two lines close together keep readable labels.
    const right = i % 2 === 0;
    out.push(
      `<text x="${right ? width - m.right - 4 : m.left + 4}" y="${(sy(r.y) - 4).toFixed(1)}" ` +
        `text-anchor="${right ? 'end' : 'start'}" fill="#555">${escapeXml(r.label)}</text>`,
    );
  });
  let lx = m.left;
  o.series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    const d = s.points.map(([x, y], k) => `${k === 0 ? 'M' : 'L'}${sx(x).toFixed(1)} ${sy(y).toFixed(1)}`).join(' ');
    if (d) out.push(`<path d="${d}" fill="none" stroke="${colour}" stroke-width="1.6"/>`);
    out.push(`<line x1="${lx}" x2="${lx + 24}" y1="${height - 12}" y2="${height - 12}" stroke="${colour}" stroke-width="3"/>`);
    out.push(`<text x="${lx + 30}" y="${height - 8}">${escapeXml(s.name)}</text>`);
    lx += 30 + s.name.length * 7 + 30;
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
