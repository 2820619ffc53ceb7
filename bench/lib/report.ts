import type { FloorRow } from '../suites/floors.ts';
import type { StoreFloorRow } from '../suites/store-floor.ts';
import type { IngestRow } from '../suites/ingest.ts';
import { type PeerRow } from '../suites/peer.ts';
import type { RateRow } from '../suites/end-to-end.ts';
import type { ScaleOutRow } from '../suites/scale-out.ts';
import type { SoakResult } from '../suites/soak.ts';
import type { StoreQueryRow } from '../suites/store-queries.ts';
import type { SearchScaleResult } from '../suites/search-scale.ts';
import { searchScaleMarkdown } from './search-scale-report.ts';
import { tracingMarkdown, type TracingResult } from '../suites/tracing.ts';
import { retentionMarkdown, type RetentionBenchResult } from '../suites/retention.ts';
import type { ProfileSummary } from './cpu-profile.ts';
import type { DurablePeerRow } from '../suites/durable-peer.ts';
import { durablePeerMarkdown } from './durable-peer-report.ts';
import { table } from './markdown-table.ts';
import { pct, targets } from './targets.ts';
import { ratio } from './stats.ts';

/** Everything one `npm run bench` measured (bench/results/bench.json). */
export interface BenchResults {
  at: string;
  quick: boolean;
  machine: string;
  floors?: FloorRow[];
  store?: StoreFloorRow[];
  ingest?: IngestRow[];
  profile?: { perSecond: number; profile: ProfileSummary | undefined };
  peer?: PeerRow[];
  durablePeer?: DurablePeerRow[];
  endToEnd?: { rows: RateRow[]; saturationRate: number | undefined };
  /** The same with a GIN index on `_id` added in PostgreSQL (bound check, not shipped). */
  scaleOut?: ScaleOutRow[];
  soak?: Omit<SoakResult, 'probe' | 'samples'>;
  queries?: StoreQueryRow[];
  search?: SearchScaleResult;
  tracing?: TracingResult;
  retention?: RetentionBenchResult;
}

/** The results as Markdown tables (bench/results/bench.md; docs/performance.md quotes the latest). */
export function markdown(r: BenchResults): string {
  const out: string[] = [`Run ${r.at}${r.quick ? ' (--quick)' : ''}, ${r.machine}.`, ''];
  if (r.floors) {
    out.push('**Floors** (the mix, closed loop, one message in flight per connection)', '');
    out.push(
      ...table(
        ['server', 'connections', 'msg/s', 'ACK p50 ms', 'p99 ms', 'p999 ms', 'frames per fsync'],
        r.floors.map((f) => [
          f.server,
          f.connections,
          f.result.perSecond,
          f.result.latencyMs.p50,
          f.result.latencyMs.p99,
          f.result.latencyMs.p999,
          f.framesPerFsync ?? '',
        ]),
      ),
      '',
    );
  }
  if (r.store) {
    out.push("**The store's own capacity** (the engine's documents, w: majority, j: true, bare driver loop)", '');
    out.push(
      ...table(
        ['pattern', 'in flight', 'batch', 'documents/s', 'call p50 ms', 'p99 ms'],
        r.store.map((s) => [
          s.ratePerSecond ? `${s.pattern} at ${s.ratePerSecond}/s` : s.pattern,
          s.ratePerSecond ? 'as due' : s.inFlight,
          s.batch,
          s.docsPerSecond,
          s.callP50Ms,
          s.callP99Ms ?? '',
        ]),
      ),
      '',
    );
  }
  if (r.ingest) {
    const real = (c: number) => r.floors?.find((f) => f.server === 'real-ack' && f.connections === c)?.result.perSecond ?? 0;
    const durable = (c: number) => r.floors?.find((f) => f.server === 'group-commit' && f.connections === c)?.result.perSecond ?? 0;
    const one = (c: number) => r.store?.find((s) => s.pattern === 'insertOne' && s.inFlight === c)?.docsPerSecond ?? 0;
    out.push('**MLLP ingest** (the mix; ACK after the durable commit, except ack-only)', '');
    out.push(
      ...table(
        [
          'engine',
          'connections',
          'msg/s',
          'ACK p50 ms',
          'p99 ms',
          'p999 ms',
          '÷ real-ACK floor',
          '÷ group-commit floor',
          '÷ store insertOne, same in flight',
          'store calls / msg',
          'Redis commands / msg',
        ],
        r.ingest.map((i) => [
          i.mode,
          i.connections,
          i.result.perSecond,
          i.result.latencyMs.p50,
          i.result.latencyMs.p99,
          i.result.latencyMs.p999,
          ratio(i.result.perSecond, real(i.connections)),
          i.mode === 'ack-only' ? '' : ratio(i.result.perSecond, durable(i.connections)),
          i.mode === 'ack-only' ? '' : ratio(i.result.perSecond, one(i.connections)),
          i.roundTrips
            ? Object.entries(i.roundTrips.mongo)
                .map(([op, v]) => `${op} ${v.calls} (${v.ms} ms)`)
                .join(', ')
            : '',
          i.roundTrips
            ? Object.entries(i.roundTrips.redis)
                .map(([cmd, n]) => `${cmd} ${n}`)
                .join(', ')
            : '',
        ]),
      ),
      '',
    );
  }
  if (r.peer) {
    out.push('**Peer** (16 connections, the mix; in each round every server once, in turn)', '');
    out.push(
      ...table(
        [
          'round',
          'server',
          'connections',
          'msg/s (ACKs naming the message sent)',
          'ACK p99 ms',
          'spurious ACKs',
          'server CPU s',
          'machine CPU s',
        ],
        r.peer.map((p) => [
          p.round,
          p.server,
          p.connection,
          p.result.perSecond,
          p.result.latencyMs.p99,
          p.result.spurious,
          p.cpu.server ?? '',
          p.cpu.machine ?? '',
        ]),
      ),
      '',
    );
  }
  if (r.durablePeer) out.push(...durablePeerMarkdown(r.durablePeer));
  if (r.endToEnd) {
    const e2e = r.endToEnd;
    out.push(`**End to end** (open loop, one engine process; saturation: ${e2e.saturationRate ?? 'below the first rate'} msg/s)`, '');
    out.push(
      ...table(
        ['offered msg/s', 'achieved', 'ACK p50 ms', 'p99', 'p999', 'e2e p50 ms', 'p99', 'p999', 'delivered', 'sustained'],
        e2e.rows.map((e) => [
          e.rate,
          e.load.achievedPerSecond,
          e.ackMs.p50,
          e.ackMs.p99,
          e.ackMs.p999,
          e.endToEndMs.p50,
          e.endToEndMs.p99,
          e.endToEndMs.p999,
          `${e.delivered}/${e.expected}`,
          e.sustained ? 'yes' : 'no',
        ]),
      ),
      '',
    );
  }
  if (r.scaleOut) {
    out.push('**Scale-out** (backlog delivered by worker processes behind one ingest process)', '');
    out.push(
      ...table(
        [
          'workers',
          'messages',
          'measured',
          'seconds',
          'delivered msg/s',
          'worker CPU s',
          'postgres CPU s',
          'ferretdb CPU s',
          'machine CPU s',
        ],
        r.scaleOut.map((s) => [
          s.workers,
          s.messages,
          s.measuredMessages,
          s.drainSeconds,
          s.deliveredPerSecond,
          s.cpu.workers ?? '',
          s.cpu.postgres ?? '',
          s.cpu.ferretdb ?? '',
          s.cpu.machine ?? '',
        ]),
      ),
      '',
    );
    const activity = r.scaleOut[0]?.pgActivity;
    if (activity)
      out.push(
        'What PostgreSQL was running while 1 worker delivered (active statements of this database, sampled every 100 ms):',
        '',
        ...table(
          ['samples', 'statement'],
          activity.map((a) => [a.samples, `\`${a.statement.replaceAll('|', '\\|')}\``]),
        ),
        '',
      );
  }
  if (r.queries) {
    const stored = r.queries[0]?.storedMessages;
    out.push(
      `**The store's reads at scale** (${stored} stored messages; median of the runs, ms; ` +
        `"before": the query's shape until 12-02, same run)`,
      '',
    );
    const names = [...new Set(r.queries.map((q) => q.query))];
    const at = (q: string, shape: StoreQueryRow['shape']) => r.queries!.find((x) => x.query === q && x.shape === shape);
    out.push(
      ...table(
        ['query', 'ms', 'before, ms', 'answer (documents or messages counted)'],
        names.map((q) => [q, at(q, 'engine')?.medianMs ?? '', at(q, 'before')?.medianMs ?? '', at(q, 'engine')?.answered ?? '']),
      ),
      '',
    );
  }
  if (r.search) out.push(...searchScaleMarkdown(r.search));
  if (r.tracing) out.push(...tracingMarkdown(r.tracing));
  if (r.retention) out.push(...retentionMarkdown(r.retention));
  if (r.soak) {
    const s = r.soak;
    out.push(
      `**Soak** (${s.seconds} s at ${s.rate} msg/s offered): achieved ${s.row.load.achievedPerSecond}/s, ` +
        `ACK p99 ${s.row.ackMs.p99} ms, e2e p99 ${s.row.endToEndMs.p99} ms, delivered ${s.row.delivered}/${s.row.expected}, ` +
        `RSS spread after the first minute ${Number.isNaN(s.rssSpreadAfterFirstMinute) ? 'n/a' : pct(s.rssSpreadAfterFirstMinute)} ` +
        `(median of each minute: ${s.rssMedianMiBByMinute.join(', ')} MiB), event-loop delay p99 at most ${s.loopDelayP99MaxMs} ms, ` +
        `${s.stalledJobs} stalled jobs. Plots: ${s.plots.map((p) => p.split('/').pop()).join(', ')}.`,
      '',
    );
  }
  out.push(
    '**Targets**',
    '',
    ...table(
      ['target', 'measured', 'met'],
      targets(r).map((t) => [t.target, t.measured, t.met === undefined ? 'n/a' : t.met ? 'yes' : '**no**']),
    ),
    '',
  );
  return out.join('\n');
}
