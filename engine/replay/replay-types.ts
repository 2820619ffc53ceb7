import type { ReplayRecord, ReplaySelection } from '../store/message-record.ts';
import type { ReplayState } from '../store/states.ts';
import type { ReplayChange } from './replay-diff.ts';

/** What a replay is asked (POST /api/replays, `switchboard replay`), and what Replayer.request answers. */
export interface ReplayRequest {
  selection: ReplaySelection;
  reason: string;
  requestedBy: string;
  dryRun: boolean;
}

/** A dry run's answer: nothing was changed. */
export interface DryRunResult {
  replayId: string;
  dryRun: true;
  state: typeof ReplayState.done;
  /** Deliveries selected. */
  deliveries: number;
  refused: ReplayRecord['refused'];
  /** The first 100 (message, destination) pairs, with what would change. */
  changes: ReplayChange[];
}

/** A real replay's answer: it goes on in the background; `GET /api/replays/:id` shows its progress. */
export interface ReplayStarted {
  replayId: string;
  dryRun: false;
  state: typeof ReplayState.running;
  deliveries: number;
}
