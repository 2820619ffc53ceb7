import { SwitchboardError } from '../errors.ts';

/** The content type of Prometheus' text exposition format, version 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type Labels = Readonly<Record<string, string>>;

export interface Sample {
  labels?: Labels;
  value: number;
}

/** One labelled series of a histogram: cumulative bucket counts (the last is +Inf), sum and count. */
export interface HistogramSeries {
  labels: Labels;
  buckets: readonly number[];
  sum: number;
  count: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A label value in quotes: backslash, double quote and line feed escaped, as the format requires. */
const labelValue = (v: string) => `"${v.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')}"`;
const helpText = (v: string) => v.replaceAll('\\', '\\\\').replaceAll('\n', '\\n');

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/**
 * Writes metric families in the text exposition format 0.0.4: one `# HELP` and `# TYPE` line per
 * family, then its samples. Names and label names are checked (a bad one throws: it is a bug, not
 * data); label values are escaped. Families are written in the order they are added.
 */
export class PrometheusText {
  private readonly lines: string[] = [];
  private readonly names = new Set<string>();

  gauge(name: string, help: string, samples: readonly Sample[]): this {
    return this.family(name, 'gauge', help, samples);
  }

  counter(name: string, help: string, samples: readonly Sample[]): this {
    if (!name.endsWith('_total')) throw new SwitchboardError('INTERNAL', `counter ${name} must end in _total`);
    return this.family(name, 'counter', help, samples);
  }

  /**
   * A histogram family: per series, cumulative counts for each upper bound in `bounds` then `+Inf`
   * (`buckets`, one longer than `bounds`), their sum and count, as `<name>_bucket{…,le}`, `_sum`, `_count`.
   */
  histogram(name: string, help: string, bounds: readonly number[], series: readonly HistogramSeries[]): this {
    const samples = series.flatMap((h) => [
      ...h.buckets.map((value, i) => ({
        name: `${name}_bucket`,
        labels: { ...h.labels, le: i < bounds.length ? formatValue(bounds[i]!) : '+Inf' },
        value,
      })),
      { name: `${name}_sum`, labels: h.labels, value: h.sum },
      { name: `${name}_count`, labels: h.labels, value: h.count },
    ]);
    return this.family(name, 'histogram', help, samples);
  }

  toString(): string {
    return `${this.lines.join('\n')}\n`;
  }

  private family(
    name: string,
    type: 'gauge' | 'counter' | 'histogram',
    help: string,
    samples: readonly (Sample & { name?: string })[],
  ): this {
    if (!NAME.test(name)) throw new SwitchboardError('INTERNAL', `bad metric name ${name}`);
    if (this.names.has(name)) throw new SwitchboardError('INTERNAL', `metric ${name} written twice`);
    this.names.add(name);
    this.lines.push(`# HELP ${name} ${helpText(help)}`, `# TYPE ${name} ${type}`);
    for (const s of samples) {
      const labels = Object.entries(s.labels ?? {});
      for (const [label] of labels)
        if (!LABEL_NAME.test(label) || label.startsWith('__')) throw new SwitchboardError('INTERNAL', `bad label name ${label} on ${name}`);
      const rendered = labels.length === 0 ? '' : `{${labels.map(([k, v]) => `${k}=${labelValue(v)}`).join(',')}}`;
      this.lines.push(`${s.name ?? name}${rendered} ${formatValue(s.value)}`);
    }
    return this;
  }
}
