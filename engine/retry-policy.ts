import type { RetryPolicy } from './channel.ts';
import type { FailureClass } from './errors.ts';

export type RetryDecision =
  { retry: true; delayMs: number } | { retry: false; reason: 'permanent' | 'ambiguous-not-idempotent' | 'exhausted' };

export interface RetryInput {
  policy: RetryPolicy;
  failureClass: FailureClass;
  /** Attempts that reached or may have reached the peer so far, this one included. */
  attempt: number;
  /** Whether the connector's peer de-duplicates by idempotency key. */
  idempotent: boolean;
  /** The peer's own Retry-After, honoured as a floor. */
  retryAfterMs?: number;
  /** In [0, 1); injectable so tests are deterministic. */
  random?: number;
}

/**
 * Reads the failure class, never the message text:
 * - permanent: dead at once;
 * - ambiguous: retried only when the connector is idempotent (else it could double a posting);
 * - transient: retried until `policy.attempts`;
 * - not-connected: nothing was sent, so it is retried without spending an attempt.
 * Backoff: initialDelayMs × 2^(attempt−1), capped at maxDelayMs, ±20% jitter, at least Retry-After.
 */
export function decideRetry(input: RetryInput): RetryDecision {
  switch (input.failureClass) {
    case 'permanent':
      return { retry: false, reason: 'permanent' };
    case 'ambiguous':
      if (!input.idempotent) return { retry: false, reason: 'ambiguous-not-idempotent' };
      break;
    case 'transient':
    case 'not-connected':
      break;
    default:
      return input.failureClass satisfies never;
  }
  if (input.failureClass !== 'not-connected' && input.attempt >= input.policy.attempts) return { retry: false, reason: 'exhausted' };
  const base = Math.min(input.policy.maxDelayMs, input.policy.initialDelayMs * 2 ** Math.max(0, input.attempt - 1));
  const jittered = base * (0.8 + 0.4 * (input.random ?? Math.random()));
  return { retry: true, delayMs: Math.round(Math.max(jittered, input.retryAfterMs ?? 0)) };
}
