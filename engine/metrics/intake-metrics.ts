import type { PrometheusText } from './prometheus-text.ts';

/**
 * Counters of what intake refused in this process, since it started, by channel id only (no
 * content, no control id, no patient data in any label). Process-wide, as the process metrics are:
 * intake counts, the /metrics exposition writes them; Prometheus sums the processes.
 */
export class IntakeMetrics {
  private readonly conflicts = new Map<string, number>();

  /** A message reused a stored message's control id (MSH-10) with different content; answered AE. */
  controlIdConflict(channelId: string): void {
    this.conflicts.set(channelId, (this.conflicts.get(channelId) ?? 0) + 1);
  }

  /** Writes the counters, with a zero for each of `channelIds` not counted yet (so an alert sees silence). */
  write(out: PrometheusText, channelIds: readonly string[]): void {
    const channels = [...new Set([...channelIds, ...this.conflicts.keys()])].sort();
    out.counter(
      'switchboard_control_id_conflicts_total',
      'Messages that reused the control id (MSH-10) of a stored message with different content, answered AE and stored as rejected, by ' +
        'channel; counted by this process since it started.',
      channels.map((channel) => ({ labels: { channel }, value: this.conflicts.get(channel) ?? 0 })),
    );
  }
}

/** The process's intake counters. */
export const intakeMetrics = new IntakeMetrics();
