/**
 * Runs async work one at a time per key, in call order, within this process; work on different
 * keys runs in parallel. DeliveryStateStore serialises the delivery updates of one message with it:
 * FerretDB 1.24 applies an update by reading the document, changing it and writing it whole, with
 * no lock or version check between, so two destinations of one message settling at the same
 * instant lost one of the two statuses in 20 of 20 tries (12-06). Only this process's updates are
 * ordered: workers in other processes (scale-out) can still race on FerretDB; MongoDB applies
 * each update atomically and needs none of this.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  /** Runs `work` after every earlier call for `key` has settled; its result or error is the caller's. */
  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(work, work);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    // The last in line removes the key, so the map holds only keys with work pending.
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Keys with work running or waiting (for tests: nothing is kept once the work is done). */
  get size(): number {
    return this.tails.size;
  }
}
