import type { PrometheusText } from '../../metrics/prometheus-text.ts';
import { Counter } from '../../metrics/registry.ts';

/**
 * Pruning's figures in the process that pruned (engine-metrics.ts writes them with the rest; a
 * worker serves them on METRICS_PORT): messages removed by channel and status, messages archived by
 * channel, runs by outcome, audit entries cut, and when the last run of this process ended and how
 * long it took (gauges, absent before its first run). Labels are channel ids, statuses and outcomes.
 */
export class RetentionMetrics {
  readonly pruned = new Counter('switchboard_retention_pruned_total', 'Messages removed by pruning, by channel and status.', [
    'channel',
    'status',
  ]);
  readonly archived = new Counter(
    'switchboard_retention_archived_total',
    'Messages written to the archive (ARCHIVE_DIR) before they were pruned, by channel.',
    ['channel'],
  );
  readonly runs = new Counter('switchboard_retention_runs_total', 'Pruning runs of this process, by outcome (done, failed).', ['outcome']);
  readonly auditPruned = new Counter(
    'switchboard_audit_pruned_total',
    'Audit entries removed under a signed checkpoint (AUDIT_RETENTION_DAYS).',
    [],
  );
  private last: { endedAt: number; seconds: number } | undefined;

  /** Records the end of a run of this process. */
  ran(endedAt: Date, durationMs: number): void {
    this.last = { endedAt: endedAt.getTime() / 1000, seconds: durationMs / 1000 };
  }

  write(out: PrometheusText): void {
    for (const family of [this.pruned, this.archived, this.runs, this.auditPruned]) family.write(out);
    if (!this.last) return;
    out.gauge('switchboard_retention_last_run_timestamp_seconds', 'When the last pruning run of this process ended (Unix time).', [
      { value: this.last.endedAt },
    ]);
    out.gauge('switchboard_retention_last_run_duration_seconds', 'How long the last pruning run of this process took.', [
      { value: this.last.seconds },
    ]);
  }
}
