import type { AnyBulkWriteOperation } from 'mongodb';
import { storeCall } from '../../store/store-call.ts';
import { RETENTION_RUNS_COLLECTION } from '../../store/retention.store.ts';
import { RetentionRunState } from '../../store/retention-records.ts';
import { REPLAYS_COLLECTION } from '../../store/store.ts';
import { ReplayState } from '../../store/states.ts';
import { AlertState } from '../alerts/alert-api-types.ts';
import { ALERT_INSTANCES_COLLECTION, ALERT_NOTIFICATIONS_COLLECTION, ALERT_SILENCES_COLLECTION } from '../alerts/alert-records.ts';
import { pruneEnded, type EndedDoc, type EndedPruneOptions, type EndedRecords } from './ended-records.ts';

/** The kinds of history RETENTION_HISTORY_DAYS prunes, as counted on a run's record. */
export type HistoryKind = 'alerts' | 'alertNotifications' | 'silences' | 'replays' | 'retentionRuns';

/** Resolved alerts, silences past their `until`, finished replays and pruning runs. */
const ENDED: readonly EndedRecords<HistoryKind>[] = [
  {
    kind: 'alerts',
    collection: ALERT_INSTANCES_COLLECTION,
    ended: [{ state: AlertState.resolved }],
    endedAt: 'resolvedAt',
    dependents: { kind: 'alertNotifications', remove: deleteNotifications },
  },
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
export async function pruneHistory(o: EndedPruneOptions): Promise<HistoryRemoved> {
  return pruneEnded(o, ENDED, { alerts: 0, alertNotifications: 0, silences: 0, replays: 0, retentionRuns: 0 });
}

/** Deletes the notifications of the alerts `ids`, before the alerts themselves (no notification outlives its alert). */
async function deleteNotifications(o: EndedPruneOptions, alertIds: string[]): Promise<number> {
  if (alertIds.length === 0) return 0;
  const ops: AnyBulkWriteOperation<EndedDoc>[] = alertIds.map((alertId) => ({ deleteMany: { filter: { alertId } } }));
  return (
    await storeCall(
      () => o.store.collection<EndedDoc>(ALERT_NOTIFICATIONS_COLLECTION).bulkWrite(ops, { ordered: false }),
      'retention.deleteAlertNotifications',
    )
  ).deletedCount;
}
