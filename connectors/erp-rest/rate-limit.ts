/**
 * A token bucket for one destination: at most `perSecond` requests a second (bursts of one
 * second's worth), and `pause(ms)` after a 429 holds every send until the peer's Retry-After passes.
 */
export class RateLimiter {
  private tokens: number;
  private last = Date.now();
  private pausedUntil = 0;

  constructor(private readonly perSecond: number) {
    this.tokens = Math.max(1, perSecond);
  }

  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, Date.now() + ms);
  }

  /** Resolves when a request may go (or at once when `signal` aborts). */
  async take(signal?: AbortSignal): Promise<void> {
    for (;;) {
      if (signal?.aborted) return;
      const now = Date.now();
      this.tokens = Math.min(Math.max(1, this.perSecond), this.tokens + ((now - this.last) / 1000) * this.perSecond);
      this.last = now;
      const wait = Math.max(this.pausedUntil - now, this.tokens >= 1 ? 0 : ((1 - this.tokens) / this.perSecond) * 1000);
      if (wait <= 0) {
        this.tokens -= 1;
        return;
      }
      await new Promise((r) => setTimeout(r, Math.ceil(wait)));
    }
  }
}
