import type { Collection } from 'mongodb';
import { digestOf } from '../channels/channel-store.ts';
import { SwitchboardError } from '../errors.ts';
import type { Store } from '../store/store.ts';
import { isDuplicateKey, storeCall } from '../store/store-call.ts';

/** Where a version came from. */
export const DefinitionOrigin = { console: 'console', import: 'import', file: 'file', shipped: 'shipped' } as const;
export type DefinitionOrigin = (typeof DefinitionOrigin)[keyof typeof DefinitionOrigin];

/** One stored version of a definition (a mapping, a lookup table): never rewritten. */
export interface DefinitionVersion<T> {
  /** `<id>@<version>`. */
  _id: string;
  id: string;
  version: number;
  definition: T;
  /** SHA-256 of the definition (digestOf): a save of the same content makes no new version. */
  digest: string;
  origin: DefinitionOrigin;
  author: string;
  comment?: string;
  at: Date;
}

/** What `save` was given besides the definition. */
export interface SaveMeta {
  origin: DefinitionOrigin;
  author: string;
  comment?: string;
}

/**
 * Versions of one kind of definition in one collection: each save that changes a definition is
 * its next version, numbered from 1, never rewritten (so a channel version can pin an exact
 * mapping or table version, and a rollback returns to it). Two saves racing for the same number:
 * the unique index refuses the second, which reads the latest again (5 tries, then CONFLICT).
 * No transactions, so it runs on FerretDB and MongoDB alike. Every failure of the store is
 * STORE_UNAVAILABLE. Used by the lookup tables and the mappings; `kind` names them in errors.
 */
export class VersionedStore<T> {
  private readonly versions: Collection<DefinitionVersion<T>>;

  constructor(
    store: Store,
    collection: string,
    private readonly kind: string,
  ) {
    this.versions = store.collection<DefinitionVersion<T>>(collection);
  }

  async start(): Promise<void> {
    await storeCall(
      () => this.versions.createIndex({ id: 1, version: -1 }, { name: 'id_version', unique: true }),
      'definitions.createIndex',
    );
  }

  /** Saves `definition` as the next version of `id`, unless it equals the latest (then returns that, `created` false). */
  async save(
    id: string,
    definition: T,
    meta: SaveMeta,
  ): Promise<{ version: DefinitionVersion<T>; created: boolean; previous?: DefinitionVersion<T> }> {
    const digest = digestOf(definition);
    for (let tries = 0; tries < 5; tries++) {
      const previous = await this.latest(id);
      if (previous?.digest === digest) return { version: previous, created: false, previous };
      const number = (previous?.version ?? 0) + 1;
      const version: DefinitionVersion<T> = {
        _id: `${id}@${number}`,
        id,
        version: number,
        definition,
        digest,
        origin: meta.origin,
        author: meta.author,
        ...(meta.comment ? { comment: meta.comment } : {}),
        at: new Date(),
      };
      try {
        await this.versions.insertOne(version as never);
        return { version, created: true, ...(previous ? { previous } : {}) };
      } catch (err) {
        if (!isDuplicateKey(err)) throw new SwitchboardError('STORE_UNAVAILABLE', `${this.kind} version insert failed`, { cause: err });
      }
    }
    throw new SwitchboardError('CONFLICT', `the ${this.kind} ${id} is being saved by someone else; try again`);
  }

  async latest(id: string): Promise<DefinitionVersion<T> | undefined> {
    return (
      (await storeCall(() => this.versions.find({ id } as never, { sort: { version: -1 }, limit: 1 }).next(), 'definitions.latest')) ??
      undefined
    );
  }

  /** The number of the latest version of `id` (its content not read back), or undefined. */
  async latestVersion(id: string): Promise<number | undefined> {
    const doc = await storeCall(
      () => this.versions.find({ id } as never, { sort: { version: -1 }, limit: 1, projection: { version: 1 } }).next(),
      'definitions.latestVersion',
    );
    return doc?.version;
  }

  async version(id: string, version: number): Promise<DefinitionVersion<T> | undefined> {
    return (await storeCall(() => this.versions.findOne({ id, version } as never), 'definitions.get')) ?? undefined;
  }

  /** The newest 200 versions of `id`, newest first. */
  async history(id: string): Promise<DefinitionVersion<T>[]> {
    return storeCall(() => this.versions.find({ id } as never, { sort: { version: -1 }, limit: 200 }).toArray(), 'definitions.history');
  }

  /** The latest version of every definition, by id. */
  async all(): Promise<DefinitionVersion<T>[]> {
    const ids = ((await storeCall(() => this.versions.distinct('id'), 'definitions.ids')) as string[]).sort();
    const latest = await Promise.all(ids.map((id) => this.latest(id)));
    return latest.filter((v): v is DefinitionVersion<T> => v !== undefined);
  }
}
