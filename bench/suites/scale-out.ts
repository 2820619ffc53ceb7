/**
 * Scale-out: 1 against 2 worker processes (`switchboard start --role worker`) on the same Redis and
 * store, behind one `--role ingest` process. The mix is ingested first with no worker running (16
 * connections, closed loop), so every delivery waits in Redis; then the workers start and the
 * benchmark counts the messages delivered to the ERP simulator from the moment every worker is up
 * until 95% of the backlog is delivered: messages delivered per second, with the CPU each group of
 * processes used meanwhile, and a sampling profile of PostgreSQL (`pg_stat_activity` every 100 ms).
 */
import { MongoClient, ServerApiVersion } from 'mongodb';
import type { BenchContext } from '../lib/context.ts';
import { cpuSampler, type CpuUse } from '../lib/cpu.ts';
import { samplePgActivity, type PgActivity } from '../lib/pg-activity.ts';
import { withEngine } from '../engine/engine-session.ts';
import { STATES_COLLECTION } from '../../engine/store/store.ts';
import { closedLoop, nextLabel } from './floors.ts';

export interface ScaleOutRow {
  workers: number;
  /** Messages that had a delivery to make (ADT and DFT). */
  messages: number;
  /** Deliveries counted in the measured window (from every worker up to 95% delivered). */
  measuredMessages: number;
  drainSeconds: number;
  deliveredPerSecond: number;
  /** 95% delivered before the time limit. */
  complete: boolean;
  cpu: CpuUse;
  /** Statements PostgreSQL was seen running for this database, sampled every 100 ms while draining. */
  pgActivity?: PgActivity;
}

export async function runScaleOut(ctx: BenchContext): Promise<ScaleOutRow[]> {
  const rows: ScaleOutRow[] = [];
  for (const workers of [1, 2]) {
    await withEngine(ctx, { label: `scale-${workers}`, role: 'ingest', workers, deferWorkers: true }, async (s) => {
      await closedLoop(ctx, { port: s.port, connections: 16, label: nextLabel() });
      const client = new MongoClient(ctx.mongoUrl, { serverApi: { version: ServerApiVersion.v1, strict: false } });
      await client.connect();
      const messages = await client.db(s.db).collection(STATES_COLLECTION).countDocuments({ status: 'routed' });
      await client.close();
      const deliveredMessages = () => new Set(s.erp.postings().map((p) => p.idempotencyKey.split(':')[0])).size;
      const startedAt = Date.now();
      await s.startWorkers();
      // Steady state: from the moment every worker is up until 95% is delivered.
      const cpu = await cpuSampler({ workers: s.workers.map((w) => w.pid), ingest: [s.main.pid] });
      const pg = await samplePgActivity({ schema: s.db });
      const t1 = Date.now();
      const d1 = deliveredMessages();
      const limit = t1 + ctx.seconds(120, 10) * 1000;
      let delivered = d1;
      while ((delivered = deliveredMessages()) < 0.95 * messages && Date.now() < limit) await new Promise((r) => setTimeout(r, 100));
      const t2 = Date.now();
      const steady = d1 < 0.5 * messages;
      const seconds = steady ? (t2 - t1) / 1000 : (t2 - startedAt) / 1000;
      const row: ScaleOutRow = {
        workers,
        messages,
        measuredMessages: steady ? delivered - d1 : delivered,
        drainSeconds: Number(seconds.toFixed(2)),
        deliveredPerSecond: Math.round((steady ? delivered - d1 : delivered) / seconds),
        complete: delivered >= 0.95 * messages,
        cpu: await cpu.done(),
      };
      const activity = await pg?.stop();
      if (activity) row.pgActivity = activity;
      rows.push(row);
      console.log(
        `  scale-out ${workers} worker(s): ${row.measuredMessages} of ${messages} messages delivered in ${row.drainSeconds} s, ` +
          `${row.deliveredPerSecond}/s`,
      );
    });
  }
  return rows;
}
