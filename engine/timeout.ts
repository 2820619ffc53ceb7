import { SwitchboardError, type ErrorCode } from './errors.ts';

/** Bounds a promise: rejects with `code` after `ms`. The underlying work is not cancelled. */
export function withTimeout<T>(work: Promise<T>, ms: number, code: ErrorCode): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SwitchboardError(code, `no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
