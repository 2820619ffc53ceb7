import { EventEmitter } from 'node:events';

/**
 * The abort signal of one HTTP request of a destination: it aborts when `parent` (the delivery
 * worker's, which lives as long as the process) aborts, or after `ms`. `timedOut()` tells which,
 * for classifyNetworkError. Call `done()` once the request and its body are finished (in a
 * `finally`): it clears the timer and forgets the request, so a send leaves nothing on the
 * long-lived signal.
 *
 * `signal` is an EventEmitter with `aborted` and `reason`, which undici's `request` takes as
 * readily as an AbortSignal, and `parent` holds one listener for all its requests in flight (added
 * with the first, removed with the last): an AbortController per request, and a listener added to
 * and removed from `parent` per request, were a third of the CPU an ERP send cost (20 of 65 µs).
 * Not `AbortSignal.any([parent, AbortSignal.timeout(ms)])` either: on Node 20 each call leaves an
 * entry in the long-lived source's set of dependants that is never removed, even after collection
 * (https://github.com/nodejs/node/issues/55351).
 */
export function requestDeadline(parent: AbortSignal, ms: number): RequestDeadline {
  return new RequestDeadline(parent, ms);
}

/** See requestDeadline. */
export class RequestDeadline {
  readonly signal = new DeadlineSignal();
  private expired = false;
  private readonly timer: NodeJS.Timeout;
  private readonly requests: InFlight | undefined;

  constructor(parent: AbortSignal, ms: number) {
    this.timer = setTimeout(() => this.expire(), ms);
    if (parent.aborted) this.signal.abort(parent.reason);
    else (this.requests = InFlight.under(parent)).add(this);
  }

  timedOut(): boolean {
    return this.expired;
  }

  done(): void {
    clearTimeout(this.timer);
    this.requests?.delete(this);
  }

  private expire(): void {
    this.expired = true;
    this.signal.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
  }
}

/** The requests in flight under one parent signal, which holds one listener while there are any. */
class InFlight {
  private static readonly byParent = new WeakMap<AbortSignal, InFlight>();
  private readonly requests = new Set<RequestDeadline>();
  private readonly onAbort = () => this.requests.forEach((r) => r.signal.abort(this.parent.reason));

  private constructor(private readonly parent: AbortSignal) {}

  static under(parent: AbortSignal): InFlight {
    let inFlight = InFlight.byParent.get(parent);
    if (!inFlight) InFlight.byParent.set(parent, (inFlight = new InFlight(parent)));
    return inFlight;
  }

  add(r: RequestDeadline): void {
    if (this.requests.size === 0) this.parent.addEventListener('abort', this.onAbort, { once: true });
    this.requests.add(r);
  }

  delete(r: RequestDeadline): void {
    if (this.requests.delete(r) && this.requests.size === 0) this.parent.removeEventListener('abort', this.onAbort);
  }
}

/** An abort signal as undici's `request` takes it: an EventEmitter that emits `abort` once, with `aborted` and `reason`. */
export class DeadlineSignal extends EventEmitter {
  aborted = false;
  reason: unknown;

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.emit('abort');
  }
}
