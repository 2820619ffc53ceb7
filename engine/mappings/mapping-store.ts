import { VersionedStore, type DefinitionVersion, type SaveMeta } from '../definitions/versioned-store.ts';
import type { Store } from '../store/store.ts';
import type { MappingDefinition, MappingField } from '../../transforms/mapping/mapping-definition.ts';

/** The collection of data mapping versions (one version per document, never rewritten). */
export const MAPPINGS_COLLECTION = 'mappings';

/**
 * A mapping as stored: its fields as a list, since target paths hold dots (`encounter.visitNumber`)
 * and FerretDB refuses dotted keys in a document.
 */
type StoredMapping = Omit<MappingDefinition, 'fields'> & { fields: (MappingField & { target: string })[] };

const stored = (m: MappingDefinition): StoredMapping => ({
  ...m,
  fields: Object.entries(m.fields).map(([target, f]) => ({ target, ...f })),
});
const opened = (v: DefinitionVersion<StoredMapping>): DefinitionVersion<MappingDefinition> => ({
  ...v,
  definition: { ...v.definition, fields: Object.fromEntries(v.definition.fields.map(({ target, ...f }) => [target, f])) },
});
const openedIf = (v: DefinitionVersion<StoredMapping> | undefined) => (v ? opened(v) : undefined);

/** Versions of data mappings (VersionedStore in `mappings`), read and written as MappingDefinition. */
export class MappingStore {
  private readonly versions: VersionedStore<StoredMapping>;

  constructor(store: Store) {
    this.versions = new VersionedStore<StoredMapping>(store, MAPPINGS_COLLECTION, 'mapping');
  }

  start(): Promise<void> {
    return this.versions.start();
  }

  async save(definition: MappingDefinition, meta: SaveMeta) {
    const saved = await this.versions.save(definition.id, stored(definition), meta);
    return { version: opened(saved.version), created: saved.created, ...(saved.previous ? { previous: opened(saved.previous) } : {}) };
  }

  async latest(id: string) {
    return openedIf(await this.versions.latest(id));
  }

  async version(id: string, version: number) {
    return openedIf(await this.versions.version(id, version));
  }

  async history(id: string) {
    return (await this.versions.history(id)).map(opened);
  }

  async all() {
    return (await this.versions.all()).map(opened);
  }
}
