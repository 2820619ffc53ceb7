import { setTimeout as sleep } from 'node:timers/promises';
import { SwitchboardError } from '../errors.ts';
import type { ReplayRecord } from '../store/message-record.ts';
import type { Store } from '../store/store.ts';
import { ReplayState } from '../store/states.ts';
import type { Io } from './cli-context.ts';
import { progressLine } from './cli-output.ts';

/** How often the replay's record is read. */
const POLL_MS = 250;
/** Without a terminal, a progress line at most this often (and when done). */
const PLAIN_EVERY_MS = 2000;

export interface FollowResult {
  outcome: 'done' | 'interrupted';
  replay: ReplayRecord;
}

/**
 * Reads a background replay's record (as `GET /api/replays/:id` shows it) until it is done, and
 * shows its progress on `io`: on a terminal (`io.redraw`) one line redrawn in place, else a plain
 * line when it moved, at most every PLAIN_EVERY_MS. `interrupted` when the record is still running
 * but its heartbeat is older than `staleMs`: the process running it stopped (an engine resumes it).
 * NOT_FOUND if the record is gone; store errors pass through.
 */
export async function followReplay(o: { store: Store; replayId: string; staleMs: number; io: Io }): Promise<FollowResult> {
  let shown = '';
  let shownAt = 0;
  const show = (line: string, final: boolean) => {
    if (o.io.redraw) {
      if (line !== shown) o.io.redraw(`\r${line}\x1b[K`);
      if (final) o.io.redraw('\n');
    } else {
      if (line === shown || (!final && Date.now() - shownAt < PLAIN_EVERY_MS)) return;
      o.io.err(line);
      shownAt = Date.now();
    }
    shown = line;
  };
  for (;;) {
    const replay = await o.store.replays.get(o.replayId);
    if (!replay) throw new SwitchboardError('NOT_FOUND', `no replay ${o.replayId}`);
    const done = replay.state === ReplayState.done;
    const interrupted = !done && Date.now() - replay.heartbeatAt.getTime() > o.staleMs;
    show(progressLine(replay), done || interrupted);
    if (done) return { outcome: 'done', replay };
    if (interrupted) return { outcome: 'interrupted', replay };
    await sleep(POLL_MS);
  }
}
