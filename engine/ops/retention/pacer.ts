/**
 * Paces background work so that it never crowds out intake: the work is cut into slices (a batch,
 * or `sliceMs` of small reads), and after each slice the worker rests at least `pauseMs` and at
 * least `restFactor` times as long as the slice took (default 4), so it works at most
 * 1/(1 + restFactor) of the time: with 4, a fifth of one store connection and of the CPU it drives.
 * `rest()` is called after each unit of work; it rests only once the slice is full (or when
 * `force`: after a batch of writes). The clock and the sleep are given, so the arithmetic is tested
 * without time.
 */
export class Pacer {
  private sliceStart: number;
  /** Total time rested, for the run's report. */
  restedMs = 0;

  constructor(
    private readonly o: {
      pauseMs: number;
      restFactor?: number;
      sliceMs?: number;
      now?: () => number;
      sleep?: (ms: number) => Promise<void>;
      /** Stops resting early (the engine is closing). */
      stopped?: () => boolean;
    },
  ) {
    this.sliceStart = this.now();
  }

  private now(): number {
    return (this.o.now ?? (() => performance.now()))();
  }

  /** How long to rest after a slice of `workedMs`. */
  restFor(workedMs: number): number {
    return Math.max(this.o.pauseMs, (this.o.restFactor ?? 4) * workedMs);
  }

  /** Rests when the current slice is full (or `force`), then starts the next slice. */
  async rest(force = false): Promise<void> {
    const worked = this.now() - this.sliceStart;
    if (!force && worked < (this.o.sliceMs ?? 100)) return;
    const ms = this.restFor(worked);
    if (!this.o.stopped?.()) {
      await (this.o.sleep ?? ((t: number) => new Promise<void>((r) => setTimeout(r, t).unref())))(ms);
      this.restedMs += ms;
    }
    this.sliceStart = this.now();
  }
}

/**
 * What the Pruner gives each part kept by a figure of days (flow instances, the engine's history):
 * records ended more than `days` days before the run's `now` go, `batch` at a time, with the
 * pacer's rest and a `heartbeat` after each full batch; `stopped()` (the pruner closing) or a
 * heartbeat answering false (the lease was lost) ends the part between batches.
 */
export interface PrunePartOptions {
  days: number;
  now: number;
  batch: number;
  pacer: Pacer;
  stopped: () => boolean;
  heartbeat: () => Promise<boolean>;
}
