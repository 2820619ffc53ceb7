import type { ChannelDefinition } from '../channel.ts';
import { SwitchboardError } from '../errors.ts';
import type { Transform } from '../../transforms/dsl/define-transform.ts';
import { compileMapping, conditionTables, mappingTables } from '../../transforms/mapping/compile-mapping.ts';
import { prepareFilter } from '../routing.ts';
import type { MappingDefinition } from '../../transforms/mapping/mapping-definition.ts';
import type { LookupTable, LookupTables } from '../../transforms/lookups/lookup-table.ts';
import { shippedTables } from '../../transforms/lookups/shipped-tables.ts';
import type { TableVersions } from './table-versions.ts';
import type { MappingStore } from './mapping-store.ts';

/** A data mapping at a pinned version, compiled with pinned tables: what a deployed channel version runs. */
export interface ResolvedMapping {
  /** Its key in the engine's transform registry: `<id>@<version>`, then each table read as `+<name>@<version>`. */
  key: string;
  transform: Transform;
}

/**
 * Resolves a channel version's data mappings (ChannelDefinition.mappings, each at its exact
 * version) with the lookup tables it pins (ChannelDefinition.tables) into compiled transforms, and
 * registers them in the engine's transform registry, shared with intake, the route worker and
 * replay. Stored versions never change, so a compiled mapping is kept by its key and compiled once
 * per process. Every engine process resolves the same channel version to the same transforms: a
 * deploy reaches ingest and worker processes alike (ChannelService.reconcile), and each message is
 * mapped by the one channel version its process ran; its events record the mapping and table
 * versions (CanonicalEvent.transformVersion, .tables).
 */
export class TransformCatalog {
  constructor(
    private readonly o: {
      /** The engine's registry: the shipped transforms, then every resolved mapping (added here). */
      registry: Map<string, Transform>;
      mappings: MappingStore;
      tables: TableVersions;
    },
  ) {}

  /**
   * The channel as the engine runs it: its `transforms` extended by the registry keys of its
   * resolved mappings. CONFIG_INVALID naming the mapping or table when a pinned version does not
   * exist, a table it reads is not pinned, or the mapping does not compile against its tables.
   */
  async runnable(channel: ChannelDefinition): Promise<ChannelDefinition> {
    const filterTables = conditionTables(channel.filter);
    if (!channel.mappings?.length && filterTables.length === 0) return channel;
    const tables = await this.pinnedTables(channel);
    const missing = filterTables.find((name) => !tables.get(name));
    if (missing) throw invalid(channel, `its filter reads lookup table ${missing}, which it does not pin`);
    const resolved = await this.resolve(channel, tables);
    const runnable = { ...channel, transforms: [...channel.transforms, ...resolved.map((r) => r.key)] };
    prepareFilter(runnable, tables);
    return runnable;
  }

  /** Each pinned mapping compiled with the pinned tables, registered (see runnable). */
  private async resolve(channel: ChannelDefinition, tables: LookupTables): Promise<ResolvedMapping[]> {
    const out: ResolvedMapping[] = [];
    for (const pin of channel.mappings ?? []) {
      const stored = await this.o.mappings.version(pin.id, pin.version);
      if (!stored) throw invalid(channel, `mapping ${pin.id} has no version ${pin.version}`);
      // The key first: a version compiled earlier with the same tables is not compiled again.
      const pins = mappingTables(stored.definition)
        .sort()
        .map((name) => [name, tables.get(name)?.version] as const);
      const key = `${pin.id}@${pin.version}${pins.map(([n, v]) => `+${n}@${v}`).join('')}`;
      let transform = this.o.registry.get(key);
      if (!transform) {
        const compiled = compileMapping(stored.definition, pin.version, tables);
        if (!compiled.ok) throw invalid(channel, `mapping ${pin.id}@${pin.version}: ${compiled.problems[0]!.message}`);
        // It compiled, so every table it names was found, with its version.
        const versions = Object.fromEntries(pins.map(([n, v]) => [n, v!]));
        transform = pins.length > 0 ? { ...compiled.transform, tables: versions } : compiled.transform;
        this.o.registry.set(key, transform);
      }
      out.push({ key, transform });
    }
    return out;
  }

  /**
   * The lookup tables of the channel version at their pinned versions, then the shipped tables
   * (transforms/lookups/shipped-tables.ts, which need no pin); any other table is unknown to its mappings.
   */
  async pinnedTables(channel: ChannelDefinition): Promise<LookupTables> {
    const loaded = new Map<string, LookupTable>();
    for (const [name, version] of Object.entries(channel.tables ?? {})) {
      const table = await this.o.tables.get(name, version);
      if (!table) throw invalid(channel, `lookup table ${name} has no version ${version}`);
      loaded.set(name, table);
    }
    return { get: (name) => loaded.get(name) ?? shippedTables.get(name) };
  }
}

const invalid = (channel: ChannelDefinition, detail: string) => new SwitchboardError('CONFIG_INVALID', `channel ${channel.id}: ${detail}`);
