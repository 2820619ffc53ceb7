import type { Collection, Document, Filter, WithId } from 'mongodb';
import { storeCall } from './store-call.ts';

/** Lookups by `_id` sent at once by lookUp. */
const LOOKUPS_IN_FLIGHT = 32;

/**
 * Documents of `collection` by id, as stored, those not found left out, in the order of `ids`: one
 * lookup per id, LOOKUPS_IN_FLIGHT at a time. FerretDB 1.24 does not pass `_id: { $in }` down to
 * PostgreSQL (it would read the whole collection), while a lookup by one `_id` uses its index.
 * Throws STORE_UNAVAILABLE (storeCall).
 */
export async function lookUp<T extends Document & { _id: string }>(
  collection: Collection<T>,
  ids: readonly string[],
  projection?: Record<string, 0 | 1>,
): Promise<WithId<T>[]> {
  const found: WithId<T>[] = [];
  for (let i = 0; i < ids.length; i += LOOKUPS_IN_FLIGHT) {
    const docs = await Promise.all(
      ids
        .slice(i, i + LOOKUPS_IN_FLIGHT)
        .map((id) => storeCall(() => collection.findOne({ _id: id } as Filter<T>, projection ? { projection } : {}), 'lookup.findById')),
    );
    for (const d of docs) if (d) found.push(d);
  }
  return found;
}

/** `lookUp` as a map by `_id`. */
export async function lookUpMap<T extends Document & { _id: string }>(
  collection: Collection<T>,
  ids: readonly string[],
  projection?: Record<string, 0 | 1>,
): Promise<Map<string, WithId<T>>> {
  return new Map((await lookUp(collection, ids, projection)).map((d) => [d._id, d]));
}
