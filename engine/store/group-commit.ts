import { MongoBulkWriteError, type Collection, type Document, type OptionalUnlessRequiredId } from 'mongodb';

/** The server's error code for a document refused by a unique index. */
export const DUPLICATE_KEY = 11000;

/** What became of one document of a group: stored, or refused because its unique key exists. */
export type GroupInsertOutcome = 'inserted' | 'duplicate';

export interface GroupCommitOptions<T extends Document> {
  collection: Collection<T>;
  /** Most documents in one insertMany. Default 64. */
  maxBatch?: number;
  /** Groups written at once; documents arriving meanwhile wait for the next. Default 2. */
  maxInFlight?: number;
}

interface Waiting<T> {
  doc: OptionalUnlessRequiredId<T>;
  resolve: (outcome: GroupInsertOutcome) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit for inserts: documents submitted while earlier groups are being written go to the
 * server together, in one `insertMany` (unordered, with the collection's write concern), so many
 * connections' messages share one round trip and one journal commit. A document submitted when
 * fewer than `maxInFlight` groups are being written goes at once: no timer, no added latency at low
 * load. Each caller's promise settles only when the server has answered for its document: it
 * resolves `inserted` once the document is durable, `duplicate` when a unique index refused it
 * (DUPLICATE_KEY), and rejects with the server's or the network's error otherwise; in that case the
 * document may or may not have been stored (the caller answers so the sender resends, and
 * de-duplication takes care of a resend). Used by MessageStore.insert.
 */
export class GroupCommit<T extends Document> {
  private readonly waiting: Waiting<T>[] = [];
  private inFlight = 0;
  private readonly maxBatch: number;
  private readonly maxInFlight: number;

  constructor(private readonly o: GroupCommitOptions<T>) {
    this.maxBatch = o.maxBatch ?? 64;
    this.maxInFlight = o.maxInFlight ?? 2;
  }

  insert(doc: OptionalUnlessRequiredId<T>): Promise<GroupInsertOutcome> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ doc, resolve, reject });
      this.flush();
    });
  }

  private flush(): void {
    while (this.inFlight < this.maxInFlight && this.waiting.length > 0) {
      const group = this.waiting.splice(0, this.maxBatch);
      this.inFlight++;
      void this.write(group).finally(() => {
        this.inFlight--;
        this.flush();
      });
    }
  }

  private async write(group: Waiting<T>[]): Promise<void> {
    try {
      await this.o.collection.insertMany(
        group.map((w) => w.doc),
        { ordered: false },
      );
      for (const w of group) w.resolve('inserted');
    } catch (err) {
      const refused = duplicateIndexes(err);
      if (!refused) {
        for (const w of group) w.reject(err);
        return;
      }
      group.forEach((w, i) => (refused.has(i) ? w.resolve('duplicate') : w.resolve('inserted')));
    }
  }
}

/**
 * The positions refused for a duplicate key when that is every error of an unordered insertMany
 * (the others were stored); undefined for any other failure, which leaves every document's fate open.
 * Also read by storeTransaction.
 */
export function duplicateIndexes(err: unknown): Set<number> | undefined {
  if (!(err instanceof MongoBulkWriteError) || err.result?.getWriteConcernError()) return undefined;
  const errors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
  if (errors.length === 0 || errors.some((e) => e.code !== DUPLICATE_KEY)) return undefined;
  return new Set(errors.map((e) => e.index));
}

/**
 * Inserts every document (unordered, with the collection's write concern); returns the positions
 * refused because a unique key of theirs exists. Any other failure is thrown (the driver's error).
 * Used by storeTransaction and the state layout's backfill.
 */
export async function insertAllowingDuplicates<T extends Document>(
  collection: Collection<T>,
  docs: OptionalUnlessRequiredId<T>[],
): Promise<Set<number>> {
  try {
    await collection.insertMany(docs, { ordered: false });
    return new Set();
  } catch (err) {
    const refused = duplicateIndexes(err);
    if (!refused) throw err;
    return refused;
  }
}
