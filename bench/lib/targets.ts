import type { BenchResults } from './report.ts';
import type { IngestRow } from '../suites/ingest.ts';
import { pairedRatio, type PeerRow } from '../suites/peer.ts';
import { durablePeerTarget } from './durable-peer-report.ts';
import { ratio } from './stats.ts';

export interface Target {
  target: string;
  measured: string;
  met: boolean | undefined;
}

/** A ratio as a whole percentage. */
export const pct = (x: number) => `${Math.round(x * 100)}%`;

/** The issue's targets, each against what this run measured (undefined: not measured in this run). */
export function targets(r: BenchResults): Target[] {
  const out: Target[] = [];
  const ingest = (mode: IngestRow['mode'], c: number) => r.ingest?.find((i) => i.mode === mode && i.connections === c)?.result;
  const paired = (a: PeerRow['server'], b: PeerRow['server'], connection: PeerRow['connection']) => {
    const p = r.peer && pairedRatio(r.peer, { a, b, connection });
    return (
      p && { ...p, shown: `${p.median}${p.rounds.length > 1 ? ` (median of ${p.rounds.length} rounds: ${p.rounds.join(', ')})` : ''}` }
    );
  };
  const ofFloor = paired('engine ack-only', 'real-ack floor', 'persistent');
  if (ofFloor)
    out.push({
      target: 'ACK-only ≥ 0.7 × real-ACK echo floor, 16 connections (peer suite, each round the same minutes)',
      measured: ofFloor.shown,
      met: ofFloor.median >= 0.7,
    });
  for (const connection of ['persistent', 'reconnect'] as const) {
    const ofPeer = paired('engine ack-only', 'node-hl7-server', connection);
    const load =
      connection === 'persistent'
        ? 'persistent connections: the load of every other benchmark'
        : 'a new connection per message: the only way the peer answers correctly';
    if (ofPeer)
      out.push({
        target: `ACK-only ≥ 3 × node-hl7-server, 16 connections (${load})`,
        measured: `${ofPeer.shown}×`,
        met: ofPeer.median >= 3,
      });
  }
  const ofCamel = r.durablePeer && durablePeerTarget(r.durablePeer);
  if (ofCamel) out.push(ofCamel);
  const storeCapacity = Math.max(0, ...(r.store ?? []).filter((s) => s.pattern === 'insertMany').map((s) => s.docsPerSecond));
  for (const mode of ['ingest', 'all'] as const) {
    const durable = ingest(mode, 16)?.perSecond;
    if (durable !== undefined && storeCapacity > 0)
      out.push({
        target:
          `Durable ingest (${mode === 'ingest' ? '--role ingest' : 'one process, workers in it'}) ` +
          `≥ 0.5 × the store's capacity (best insertMany), 16 connections`,
        measured: `${durable} / ${storeCapacity} = ${ratio(durable, storeCapacity)}`,
        met: durable / storeCapacity >= 0.5,
      });
  }
  const at500 = r.endToEnd?.rows.find((row) => row.rate === 500);
  if (r.endToEnd) {
    const storeAt500 = r.store?.find((s) => s.ratePerSecond === 500)?.callP99Ms;
    const floorNote = storeAt500 !== undefined ? `; the store alone, insertOne at 500/s: p99 ${storeAt500} ms` : '';
    out.push({
      target: 'At 500 msg/s sustained: ACK p99 ≤ 10 ms',
      measured:
        (at500
          ? `${at500.ackMs.p99} ms${at500.sustained ? '' : ' (500/s not sustained)'}`
          : `500/s not reached (saturation ${r.endToEnd.saturationRate ?? 'below the first rate'}/s)`) + floorNote,
      met: at500 ? at500.sustained && at500.ackMs.p99 <= 10 : false,
    });
    out.push({
      target: 'At 500 msg/s sustained: end-to-end p99 ≤ 100 ms',
      measured: at500 ? `${at500.endToEndMs.p99} ms, ${at500.delivered}/${at500.expected} delivered` : 'not reached',
      met: at500 ? at500.sustained && at500.endToEndMs.p99 <= 100 : false,
    });
  }
  if (r.soak) {
    out.push({
      target: 'Soak: RSS after the first minute varies < 10%',
      measured: Number.isNaN(r.soak.rssSpreadAfterFirstMinute) ? 'run shorter than a minute' : pct(r.soak.rssSpreadAfterFirstMinute),
      met: Number.isNaN(r.soak.rssSpreadAfterFirstMinute) ? undefined : r.soak.rssSpreadAfterFirstMinute < 0.1,
    });
    out.push({ target: 'Soak: no stalled jobs', measured: `${r.soak.stalledJobs} stalled`, met: r.soak.stalledJobs === 0 });
  }
  return out;
}
