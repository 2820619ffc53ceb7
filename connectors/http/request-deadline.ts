/**
 * The abort signal of one HTTP request of a destination: it aborts when `parent` (the delivery
 * worker's, which lives as long as the process) aborts, or after `ms`. `timedOut()` tells which,
 * for classifyNetworkError. Call `done()` once the request and its body are finished (in a
 * `finally`): it clears the timer and removes the listener from `parent`, so a send leaves nothing
 * on the long-lived signal.
 *
 * Not `AbortSignal.any([parent, AbortSignal.timeout(ms)])`: on Node 20 each call leaves an entry in
 * the long-lived source's set of dependants that is never removed, even after collection
 * (https://github.com/nodejs/node/issues/55351). One per delivery, it was the engine's heap growth
 * in the soak (docs/performance.md).
 */
export function requestDeadline(parent: AbortSignal, ms: number): { signal: AbortSignal; timedOut(): boolean; done(): void } {
  const controller = new AbortController();
  let timedOut = false;
  const onAbort = () => controller.abort(parent.reason);
  if (parent.aborted) controller.abort(parent.reason);
  else parent.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
  }, ms);
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    done: () => {
      clearTimeout(timer);
      parent.removeEventListener('abort', onAbort);
    },
  };
}
