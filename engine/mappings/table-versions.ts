import type { TableService } from '../tables/table-service.ts';
import type { LookupTable } from '../../transforms/lookups/lookup-table.ts';

/**
 * Lookup table versions as mappings read them, each opened once per process: a stored version
 * never changes, so the 100 most recently opened are kept. Shared by the transform catalog (a
 * channel version's pins, at each deploy and preview) and the mapping service (a draft's check
 * and preview, as the analyst types).
 */
export class TableVersions {
  private readonly opened = new Map<string, LookupTable>();

  constructor(private readonly tables: Pick<TableService, 'version' | 'latestVersion'>) {}

  /** `name` at `version`, or undefined when there is no such version. */
  async get(name: string, version: number): Promise<LookupTable | undefined> {
    const key = `${name}@${version}`;
    const cached = this.opened.get(key);
    if (cached) return cached;
    const stored = await this.tables.version(name, version);
    if (!stored) return undefined;
    const table = { ...stored.definition, name, version };
    if (this.opened.size >= 100) this.opened.delete(this.opened.keys().next().value!);
    this.opened.set(key, table);
    return table;
  }

  /** The latest version of `name` (its number read alone, its rows only when not opened yet), or undefined. */
  async latest(name: string): Promise<LookupTable | undefined> {
    const version = await this.tables.latestVersion(name);
    return version === undefined ? undefined : this.get(name, version);
  }
}
