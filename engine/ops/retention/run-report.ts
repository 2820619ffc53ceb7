import { AuditAction, type AuditLog } from '../../audit/audit-log.ts';
import { engineMetrics } from '../../metrics/engine-metrics.ts';
import type { RetentionRun } from '../../store/retention-records.ts';

/** Messages a run removed, all channels and statuses. */
export const countOf = (removed: RetentionRun['removed'] | undefined): number =>
  Object.values(removed ?? {}).reduce((n, byStatus) => n + Object.values(byStatus).reduce((a, b) => a + b, 0), 0);

/** What a run's record keeps of each archive file (the manifest has the rest). */
export const fileSummary = (f: { file: string; channelId: string; messages: number; sha256: string }) => ({
  file: f.file,
  channelId: f.channelId,
  messages: f.messages,
  sha256: f.sha256,
});

/** Counts a finished run in this process's metrics (retention-metrics.ts). */
export function countRun(done: RetentionRun): void {
  const m = engineMetrics.retention;
  for (const [channel, byStatus] of Object.entries(done.removed))
    for (const [status, n] of Object.entries(byStatus)) m.pruned.inc([channel, status], n);
  for (const f of done.archive?.files ?? []) m.archived.inc([f.channelId], f.messages);
  m.auditPruned.inc([], done.audit?.removed ?? 0);
  m.runs.inc([done.state]);
  if (done.finishedAt) m.ran(done.finishedAt, done.durationMs ?? 0);
}

/**
 * The audit entry of a finished run (`retention.run`), under the name of who asked for it
 * (`system` for a scheduled one): counts by channel and status, files, the manifest, audit entries
 * cut, flow instances and history records removed, and the error code of a failed run. Ids and counts only.
 */
export async function auditRun(audit: AuditLog, done: RetentionRun): Promise<void> {
  await audit.append({
    actor: done.requestedBy,
    action: AuditAction.retentionRun,
    outcome: done.state === 'done' ? 'success' : 'failure',
    target: `retention-run:${done._id}`,
    details: {
      trigger: done.trigger,
      removed: done.removed,
      removedTotal: countOf(done.removed),
      archivedFiles: done.archive?.files.length ?? 0,
      ...(done.archive?.manifest ? { manifest: done.archive.manifest } : {}),
      auditRemoved: done.audit?.removed ?? 0,
      flowInstancesRemoved: done.flows?.removed ?? 0,
      ...(done.history ? { historyRemoved: done.history.removed } : {}),
      ...(done.error ? { error: done.error } : {}),
    },
  });
}
