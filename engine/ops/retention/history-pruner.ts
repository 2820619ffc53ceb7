import type { AnyBulkWriteOperation, Filter } from 'mongodb';
import { storeCall } from '../../store/store-call.ts';
import { RETENTION_RUNS_COLLECTION } from '../../store/retention.store.ts';
import { RetentionRunState } from '../../store/retention-records.ts';
import type { Store } from '../../store/store.ts';
import { REPLAYS_COLLECTION } from '../../store/store.ts';
import { ReplayState } from '../../store/states.ts';
import { AlertState } from '../alerts/alert-api-types.ts';
import { ALERT_INSTANCES_COLLECTION, ALERT_NOTIFICATIONS_COLLECTION, ALERT_SILENCES_COLLECTION } from '../alerts/alert-records.ts';
import type { PrunePartOptions } from './pacer.ts';
import { daysBefore } from './retention-rules.ts';

/** The kinds of history RETENTION_HISTORY_DAYS prunes, as counted on a run's record. */
export type HistoryKind = 'alerts' | 'alertNotifications' | 'silences' | 'replays' | 'retentionRuns';

/** What the pruner reads and writes of a history record: its id; the filters name the rest. */
interface HistoryDoc {
  _id: string;
  [field: string]: unknown;
}

/**
 * One kind of record that ends: the collection, each equality that says it ended (one read per
 * equality, which FerretDB passes down to PostgreSQL; the time it filters itself) and the field
 * holding when it ended. A record not yet ended (an alert pending or firing, a replay running, a
 * pruning run requested or running) is never pruned, whatever its age.
 */
interface EndedRecords {
  kind: Exclude<HistoryKind, 'alertNotifications'>;
  collection: string;
  ended: Filter<HistoryDoc>[];
  endedAt: string;
}

const ENDED: readonly EndedRecords[] = [
  { kind: 'alerts', collection: ALERT_INSTANCES_COLLECTION, ended: [{ state: AlertState.resolved }], endedAt: 'resolvedAt' },
  // A silence ended early still holds its `until`, at most 90 days after it was made.
  { kind: 'silences', collection: ALERT_SILENCES_COLLECTION, ended: [{}], endedAt: 'until' },
  { kind: 'replays', collection: REPLAYS_COLLECTION, ended: [{ state: ReplayState.done }], endedAt: 'finishedAt' },
  // Dated by when they were asked for: an interrupted run has no finishedAt, and a run lasts minutes.
  {
    kind: 'retentionRuns',
    collection: RETENTION_RUNS_COLLECTION,
    ended: [RetentionRunState.done, RetentionRunState.failed, RetentionRunState.interrupted].map((state) => ({ state })),
    endedAt: 'requestedAt',
  },
];

/** How many records of each kind a run removed. */
export type HistoryRemoved = Record<HistoryKind, number>;

export interface HistoryPruneOptions extends PrunePartOptions {
  store: Pick<Store, 'collection'>;
}

/**
 * The engine's history's part of a pruning run (RETENTION_HISTORY_DAYS; the Pruner calls it after
 * the flow instances): deletes the records of what happened to the engine itself that ended more
 * than `days` days before `now`: resolved alerts with their notifications (one still unsent by then
 * is not sent), silences past their `until`, finished replays (their lists of message ids and keys;
 * a `replay-failed` rule's window longer than `days` is cut short), and pruning runs asked for that
 * long ago and finished. Silences, replays and runs are also in the audit log (kept by
 * AUDIT_RETENTION_DAYS); alerts' state changes and notifications are not. `batch` at a time, with
 * the pacer's rest and a heartbeat after each full one; stops between batches once `stopped()` or
 * the lease is lost. STORE_UNAVAILABLE fails the run; what was deleted stays deleted.
 */
export async function pruneHistory(o: HistoryPruneOptions): Promise<HistoryRemoved> {
  const removed: HistoryRemoved = { alerts: 0, alertNotifications: 0, silences: 0, replays: 0, retentionRuns: 0 };
  const before = new Date(daysBefore(o.now, o.days));
  for (const kind of ENDED)
    for (const ended of kind.ended) {
      const filter = { ...ended, [kind.endedAt]: { $lt: before } };
      while (!o.stopped()) {
        const ids = await endedIds(o, kind.collection, filter);
        if (kind.kind === 'alerts') removed.alertNotifications += await deleteNotifications(o, ids);
        const gone = await deleteEnded(o, kind.collection, ids, filter);
        removed[kind.kind] += gone;
        // A full batch of which nothing went would be read again for ever.
        if (ids.length < o.batch || gone === 0) break;
        await o.pacer.rest(true);
        if (!(await o.heartbeat())) return removed;
      }
    }
  return removed;
}

async function endedIds(o: HistoryPruneOptions, collection: string, filter: Filter<HistoryDoc>): Promise<string[]> {
  const docs = await storeCall(
    () =>
      o.store
        .collection<HistoryDoc>(collection)
        .find(filter, { projection: { _id: 1 }, limit: o.batch })
        .toArray(),
    'retention.historyIds',
  );
  return docs.map((d) => d._id);
}

/** Deletes those of `ids` still matching `filter` (an ended record never changes again); gives how many went. */
async function deleteEnded(o: HistoryPruneOptions, collection: string, ids: string[], filter: Filter<HistoryDoc>): Promise<number> {
  if (ids.length === 0) return 0;
  const ops: AnyBulkWriteOperation<HistoryDoc>[] = ids.map((_id) => ({ deleteOne: { filter: { ...filter, _id } } }));
  return (await storeCall(() => o.store.collection<HistoryDoc>(collection).bulkWrite(ops, { ordered: false }), 'retention.deleteHistory'))
    .deletedCount;
}

/** Deletes the notifications of the alerts `ids`, before the alerts themselves (no notification outlives its alert). */
async function deleteNotifications(o: HistoryPruneOptions, alertIds: string[]): Promise<number> {
  if (alertIds.length === 0) return 0;
  const ops: AnyBulkWriteOperation<HistoryDoc>[] = alertIds.map((alertId) => ({ deleteMany: { filter: { alertId } } }));
  return (
    await storeCall(
      () => o.store.collection<HistoryDoc>(ALERT_NOTIFICATIONS_COLLECTION).bulkWrite(ops, { ordered: false }),
      'retention.deleteAlertNotifications',
    )
  ).deletedCount;
}
