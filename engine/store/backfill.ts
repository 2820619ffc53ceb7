import type { AnyBulkWriteOperation, Collection, Document, Filter, WithId } from 'mongodb';

/** Updates per bulk write of a backfill. */
const BATCH = 500;

/** A top-level field of later versions that messages (or their states) stored before it lack. */
export type BackfilledField = 'orderKeys' | 'searchKeys' | 'replayIds';

/**
 * Gives `field` to the documents of `messages` (the messages or their states) stored without it
 * (by a version that did not write it), once per
 * store, at start: reads by each of `filters` in turn (with `field` absent), only `projection`, and
 * writes what `valueOf` returns (nothing for undefined), BATCH updates per bulk write, each on
 * condition that the field is still absent (a newer write wins). When it has finished, the time is
 * kept in `meta` under `marker` and it never runs again. Returns how many messages it changed.
 * Each filter is one pass over what it selects: on FerretDB, a scan of the collection unless the
 * filter is an equality it passes down.
 */
export async function backfillOnce<T extends Document & { _id: string }>(o: {
  messages: Collection<T>;
  meta: Collection<{ _id: string; at: Date }>;
  marker: string;
  field: BackfilledField;
  filters: Filter<T>[];
  projection: Record<string, 1>;
  valueOf(doc: WithId<T>): string[] | undefined;
}): Promise<number> {
  if (await o.meta.findOne({ _id: o.marker })) return 0;
  const absent = { [o.field]: { $exists: false } } as Filter<T>;
  let changed = 0;
  let batch: AnyBulkWriteOperation<T>[] = [];
  const flush = async () => {
    if (batch.length > 0) await o.messages.bulkWrite(batch, { ordered: false });
    changed += batch.length;
    batch = [];
  };
  for (const filter of o.filters) {
    for await (const doc of o.messages.find({ ...filter, ...absent }, { projection: o.projection })) {
      const value = o.valueOf(doc);
      if (value === undefined) continue;
      batch.push({ updateOne: { filter: { _id: doc._id, ...absent } as Filter<T>, update: { $set: { [o.field]: value } } as never } });
      if (batch.length >= BATCH) await flush();
    }
  }
  await flush();
  await o.meta.updateOne({ _id: o.marker }, { $set: { at: new Date() } }, { upsert: true });
  return changed;
}
