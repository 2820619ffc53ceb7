import { MongoServerError } from 'mongodb';
import { SwitchboardError } from '../errors.ts';
import { DUPLICATE_KEY } from './group-commit.ts';
import { engineMetrics } from '../metrics/engine-metrics.ts';

/** Durable: acknowledged by a majority and journaled before a sender hears AA. */
export const DURABLE = { w: 'majority', j: true } as const;

/**
 * Runs a driver call, turning every failure into STORE_UNAVAILABLE with the cause kept (not its text).
 * Its duration goes to the store latency histogram under `operation` (a fixed `<area>.<call>` name,
 * such as `messages.insertContent`) and its outcome: in memory, no round trip.
 */
export async function storeCall<T>(op: () => Promise<T>, operation: string): Promise<T> {
  const started = performance.now();
  let outcome = 'failed';
  try {
    const result = await op();
    outcome = 'ok';
    return result;
  } catch (err) {
    // A failure the store code classified itself (a transaction's conflict) keeps its code.
    if (err instanceof SwitchboardError) throw err;
    throw new SwitchboardError('STORE_UNAVAILABLE', err instanceof Error ? err.name : 'store failure', { cause: err });
  } finally {
    engineMetrics.storeCalls.observe([operation, outcome], (performance.now() - started) / 1000);
  }
}

/** Whether `err` is the server refusing a document because its unique key exists. */
export function isDuplicateKey(err: unknown): boolean {
  return err instanceof MongoServerError && err.code === DUPLICATE_KEY;
}
