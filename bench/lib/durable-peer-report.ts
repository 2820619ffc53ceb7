import { durableRatio, type DurablePeerRow } from '../suites/durable-peer.ts';
import type { Target } from './targets.ts';
import { table } from './markdown-table.ts';
import { ratio } from './stats.ts';

/** The durable-peer suite's table for bench.md: one line per round and server, with its ratio to Camel in that round. */
export function durablePeerMarkdown(rows: readonly DurablePeerRow[]): string[] {
  const camel = (round: number) => rows.find((x) => x.server === 'Camel' && x.round === round)?.result.perSecond ?? 0;
  return [
    '**Durable peer** (Apache Camel 4: MLLP → INSERT into PostgreSQL → ACK; 16 connections, the mix; ' +
      'in each round every server once, in turn; every ACK after a durable commit)',
    '',
    ...table(
      [
        'round',
        'server',
        'msg/s',
        'ACK p50 ms',
        'p99 ms',
        'ACK codes',
        'server CPU s',
        'ferretdb CPU s',
        'postgres CPU s',
        'machine CPU s',
        '÷ Camel, same round',
      ],
      rows.map((x) => [
        x.round,
        x.server,
        x.result.perSecond,
        x.result.latencyMs.p50,
        x.result.latencyMs.p99,
        Object.entries(x.result.codes)
          .map(([c, n]) => `${c} ${n}`)
          .join(', ') + (x.result.errors ? `, ${x.result.errors} errors` : ''),
        x.cpu.server ?? '',
        x.cpu.ferretdb ?? '',
        x.cpu.postgres ?? '',
        x.cpu.machine ?? '',
        x.server === 'Camel' ? '' : ratio(x.result.perSecond, camel(x.round)),
      ]),
    ),
    '',
  ];
}

/** The target of issue 22: durable ingest (--role ingest) ≥ 1.5 × Camel at 16 connections, median of the rounds' ratios. */
export function durablePeerTarget(rows: readonly DurablePeerRow[]): Target | undefined {
  const ofCamel = durableRatio(rows, 'engine ingest', 'Camel');
  if (!ofCamel) return undefined;
  const all = durableRatio(rows, 'engine all', 'Camel');
  const rounds = ofCamel.rounds.length > 1 ? ` (median of ${ofCamel.rounds.length} rounds: ${ofCamel.rounds.join(', ')})` : '';
  return {
    target: 'Durable ingest (--role ingest) ≥ 1.5 × Apache Camel (MLLP → PostgreSQL INSERT → ACK), 16 connections',
    measured: `${ofCamel.median}×${rounds}${all ? `; --role all ÷ Camel ${all.median}× (${all.rounds.join(', ')})` : ''}`,
    met: ofCamel.median >= 1.5,
  };
}
