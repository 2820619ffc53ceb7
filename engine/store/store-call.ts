import { MongoServerError } from 'mongodb';
import { SwitchboardError } from '../errors.ts';
import { DUPLICATE_KEY } from './group-commit.ts';

/** Durable: acknowledged by a majority and journaled before a sender hears AA. */
export const DURABLE = { w: 'majority', j: true } as const;

/** Runs a driver call, turning every failure into STORE_UNAVAILABLE with the cause kept (not its text). */
export async function storeCall<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    // A failure the store code classified itself (a transaction's conflict) keeps its code.
    if (err instanceof SwitchboardError) throw err;
    throw new SwitchboardError('STORE_UNAVAILABLE', err instanceof Error ? err.name : 'store failure', { cause: err });
  }
}

/** Whether `err` is the server refusing a document because its unique key exists. */
export function isDuplicateKey(err: unknown): boolean {
  return err instanceof MongoServerError && err.code === DUPLICATE_KEY;
}
