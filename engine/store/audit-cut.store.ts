import type { Collection, Document } from 'mongodb';
import type { AuditEntry } from '../audit/audit-log.ts';
import type { AuditCheckpoint } from '../audit/audit-checkpoint.ts';
import { isDuplicateKey, storeCall } from './store-call.ts';

const AUDIT = 'audit';
const CHECKPOINTS = 'audit_checkpoints';

/**
 * What cutting the audit log reads and writes (ops/retention/audit-pruner.ts): the old entries,
 * the signed checkpoint, the deletion. The audit log itself (audit/audit-log.ts) only appends and
 * reads. Every method throws STORE_UNAVAILABLE (storeCall) when the server does not answer or confirm.
 */
export class AuditCutStore {
  constructor(private readonly collection: <T extends Document>(name: string) => Collection<T>) {}

  /**
   * The audit entries received before `cutoff`, oldest first, with what the cut needs (position and
   * hash). A range on `at`: on FerretDB a read of the audit collection, which is small beside the messages.
   */
  olderThan(cutoff: Date): Promise<Pick<AuditEntry, '_id' | 'seq' | 'at' | 'hash'>[]> {
    return storeCall(
      () =>
        this.collection<AuditEntry>(AUDIT)
          .find({ at: { $lt: cutoff } }, { projection: { _id: 1, seq: 1, at: 1, hash: 1 }, sort: { seq: 1 } })
          .toArray(),
      'retention.olderThan',
    );
  }

  /** The first entry of the audit log as it is now (its lowest position). */
  first(): Promise<Pick<AuditEntry, '_id' | 'seq'> | null> {
    return storeCall(
      () =>
        this.collection<AuditEntry>(AUDIT)
          .find({}, { projection: { _id: 1, seq: 1 }, sort: { seq: 1 }, limit: 1 })
          .next(),
      'retention.first',
    );
  }

  /** Stores a signed checkpoint; one already stored at that position is kept (a run repeated after a crash). */
  async saveCheckpoint(cp: AuditCheckpoint): Promise<void> {
    try {
      await storeCall(() => this.collection<AuditCheckpoint>(CHECKPOINTS).insertOne(cp), 'retention.saveCheckpoint');
    } catch (err) {
      if (!isDuplicateKey((err as Error).cause)) throw err;
    }
  }

  /**
   * Deletes audit entries by id, in the order given (ordered: a failure half way leaves the later
   * ones, so the log keeps a contiguous tail), one statement per id as for messages.
   */
  async deleteEntries(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const ops = ids.map((id) => ({ deleteOne: { filter: { _id: id } } }));
    const res = await storeCall(() => this.collection<AuditEntry>(AUDIT).bulkWrite(ops, { ordered: true }), 'retention.deleteAudit');
    return res.deletedCount;
  }
}
