import type { AnyBulkWriteOperation, Filter } from 'mongodb';
import { storeCall } from '../../store/store-call.ts';
import type { Store } from '../../store/store.ts';
import type { PrunePartOptions } from './pacer.ts';
import { daysBefore } from './retention-rules.ts';

/** What the pruner reads and writes of a record that ends: its id; the filters name the rest. */
export interface EndedDoc {
  _id: string;
  [field: string]: unknown;
}

/**
 * One kind of record that ends (a flow instance, an alert, a replay…): the collection, each
 * equality that says it ended (one read per equality, which FerretDB passes down to PostgreSQL; the
 * time it filters itself) and the field holding when it ended. A record not yet ended is never
 * pruned, whatever its age. `dependents`, when given, deletes what belongs to a batch's records
 * before them, and counts it under its own kind.
 */
export interface EndedRecords<K extends string> {
  kind: K;
  collection: string;
  ended: Filter<EndedDoc>[];
  endedAt: string;
  dependents?: { kind: K; remove: (o: EndedPruneOptions, ids: string[]) => Promise<number> };
}

export interface EndedPruneOptions extends PrunePartOptions {
  store: Pick<Store, 'collection'>;
}

/**
 * Deletes the records of `kinds` that ended more than `days` days before `now`, `batch` at a time,
 * with the pacer's rest and a heartbeat after each full batch; stops between batches once
 * `stopped()` or the lease is lost. Adds what went to `removed`, by kind, and gives it back.
 * STORE_UNAVAILABLE fails the run; what was deleted stays deleted.
 */
export async function pruneEnded<K extends string>(
  o: EndedPruneOptions,
  kinds: readonly EndedRecords<K>[],
  removed: Record<K, number>,
): Promise<Record<K, number>> {
  const before = new Date(daysBefore(o.now, o.days));
  for (const kind of kinds)
    for (const ended of kind.ended) {
      const filter = { ...ended, [kind.endedAt]: { $lt: before } };
      while (!o.stopped()) {
        const ids = await endedIds(o, kind.collection, filter);
        if (kind.dependents) removed[kind.dependents.kind] += await kind.dependents.remove(o, ids);
        const gone = await deleteEnded(o, kind.collection, ids, filter);
        removed[kind.kind] += gone;
        // A full batch of which nothing went would be read again for ever.
        if (ids.length < o.batch || gone === 0) break;
        await o.pacer.rest(true);
        if (!(await o.heartbeat())) return removed;
      }
    }
  return removed;
}

async function endedIds(o: EndedPruneOptions, collection: string, filter: Filter<EndedDoc>): Promise<string[]> {
  const docs = await storeCall(
    () =>
      o.store
        .collection<EndedDoc>(collection)
        .find(filter, { projection: { _id: 1 }, limit: o.batch })
        .toArray(),
    'retention.endedIds',
  );
  return docs.map((d) => d._id);
}

/** Deletes those of `ids` still matching `filter` (an ended record never changes again); gives how many went. */
async function deleteEnded(o: EndedPruneOptions, collection: string, ids: string[], filter: Filter<EndedDoc>): Promise<number> {
  if (ids.length === 0) return 0;
  const ops: AnyBulkWriteOperation<EndedDoc>[] = ids.map((_id) => ({ deleteOne: { filter: { ...filter, _id } } }));
  return (await storeCall(() => o.store.collection<EndedDoc>(collection).bulkWrite(ops, { ordered: false }), 'retention.deleteEnded'))
    .deletedCount;
}
