import type { SearchScaleResult } from '../suites/search-scale.ts';
import { table } from './markdown-table.ts';

/** The search-at-scale result as Markdown (bench.md; docs/performance.md quotes it). */
export function searchScaleMarkdown(r: SearchScaleResult): string[] {
  const shapes = { engine: 'engine (by day)', undated: 'key without the day, window as a range', $in: '`$in` over the days, one query' };
  return [
    `**Support search at scale** (${r.storedMessages} stored messages over ${r.days} days, seeded in ${r.seedSeconds} s, ` +
      `${r.seedPerSecond}/s${r.sizeMiB === undefined ? '' : `, ${r.sizeMiB} MiB in PostgreSQL with indexes`}; target: median under 1 s)`,
    '',
    ...table(
      ['search', 'shape', 'queries', 'median ms', 'p95 ms', 'found per query'],
      r.rows.map((q) => [q.query, shapes[q.shape], q.runs, q.medianMs, q.p95Ms, q.meanFound < 0 ? 'stopped' : q.meanFound]),
    ),
    '',
  ];
}
