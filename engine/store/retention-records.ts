import type { MessageState } from './message-state.ts';

/*
 * The records of pruning (issue 25) in the store: runs, the schedule, the horizons' cursors and the
 * held messages (engine/store/retention.store.ts reads and writes them; engine/ops/retention uses them).
 */

/** pending → running → done | failed; a run whose process died is marked interrupted by the next one. */
export const RetentionRunState = {
  requested: 'requested',
  running: 'running',
  done: 'done',
  failed: 'failed',
  interrupted: 'interrupted',
} as const;
export type RetentionRunState = (typeof RetentionRunState)[keyof typeof RetentionRunState];

/** One pruning run in `retention_runs`: who asked, what it removed, what it archived, how long it took. */
export interface RetentionRun {
  _id: string;
  state: RetentionRunState;
  /** `schedule` (PRUNE_INTERVAL_MS), `api` (POST /api/retention/runs) or `cli` (switchboard retention run). */
  trigger: 'schedule' | 'api' | 'cli';
  requestedBy: string;
  requestedAt: Date;
  startedAt?: Date;
  heartbeatAt?: Date;
  finishedAt?: Date;
  durationMs?: number;
  /** Messages removed, by channel then status. */
  removed: Record<string, Record<string, number>>;
  /** Old enough but kept: still in flight (never pruned), and held back after a restore. */
  kept: { unsettled: number; restored: number };
  /** Ids being deleted right now (a crash leaves them here for the next run to finish). */
  deleting?: string[];
  /** Days of received messages read, and the time rested between slices. */
  daysRead: number;
  restedMs: number;
  /** The run's archive: its manifest (relative to ARCHIVE_DIR) and data files; absent when not archiving. */
  archive?: { manifest?: string; files: { file: string; channelId: string; messages: number; sha256: string }[] };
  /** Audit entries cut (AUDIT_RETENTION_DAYS) and the checkpoint stored where. */
  audit?: { removed: number; checkpointSeq?: number };
  /** Settled flow instances removed (RETENTION_FLOW_DAYS). */
  flows?: { removed: number };
  /** The engine's history removed (RETENTION_HISTORY_DAYS), by kind (ops/retention/history-pruner.ts HistoryKind). */
  history?: { removed: Record<string, number> };
  /** Bytes the store reports freed by `compact`, by collection. */
  reclaimed?: Record<string, number>;
  error?: string;
}

/** A message pruning must not take yet: in flight when its minute was walked, or restored from an archive. */
export interface HeldMessage {
  _id: string;
  reason: 'unsettled' | 'restored';
  /** Not pruned before then (a restore's grace); absent: as soon as its rule allows. */
  notBefore?: Date;
  since: Date;
}

/** How far a horizon (ops/retention/retention-rules.ts Horizon) has walked: every received day up to `day` is done. */
export interface RetentionCursor {
  _id: string;
  days: number;
  day: string;
  at: Date;
}

/** The one document that schedules pruning across processes (`retention_schedule`). */
export interface RetentionSchedule {
  _id: 'schedule';
  /** When the last run started (or the last check found nothing to do): the next is due PRUNE_INTERVAL_MS later. */
  lastStartedAt?: Date;
  /** Runs asked for (API, command line) that no pruner has taken yet, oldest first. */
  requested?: string[];
  /** The run in progress; one found here by the next run was cut short (its process died). */
  current?: string;
  /** When the states stored before `receivedDay` existed were given it (RetentionStore.backfillDays). */
  daysBackfilledAt?: Date;
}
