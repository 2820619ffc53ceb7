import type { AuditLog } from '../audit/audit-log.ts';
import type { ChannelMappings } from '../channels/channel-service.ts';
import { VersionedStore } from '../definitions/versioned-store.ts';
import type { Store } from '../store/store.ts';
import type { Transform } from '../../transforms/dsl/define-transform.ts';
import type { MappingDefinition } from '../../transforms/mapping/mapping-definition.ts';
import { MappingService } from './mapping-service.ts';
import { TransformCatalog, type TableDefinition } from './transform-catalog.ts';

/** The collections of data mappings and lookup tables (one version per document, never rewritten). */
export const MAPPINGS_COLLECTION = 'mappings';
export const TABLES_COLLECTION = 'lookup_tables';

export interface Mappings {
  service: MappingService;
  catalog: TransformCatalog;
  /** What the channel service asks of them. */
  forChannels: ChannelMappings;
}

/**
 * The data mappings of one engine process (or CLI command): their store, the catalog that compiles
 * a channel version's pins into `registry`, and the service behind the API. Indexes are made here.
 */
export async function openMappings(o: {
  store: Store;
  audit: AuditLog;
  /** The engine's transform registry: the shipped transforms, to which each resolved mapping is added. */
  registry: Map<string, Transform>;
}): Promise<Mappings> {
  const mappings = new VersionedStore<MappingDefinition>(o.store, MAPPINGS_COLLECTION, 'mapping');
  const tables = new VersionedStore<TableDefinition>(o.store, TABLES_COLLECTION, 'lookup table');
  await Promise.all([mappings.start(), tables.start()]);
  const catalog = new TransformCatalog({ registry: o.registry, mappings, tables });
  const service = new MappingService({ mappings, tables, catalog, audit: o.audit });
  const forChannels: ChannelMappings = {
    runnable: (channel) => catalog.runnable(channel),
    deployProblems: (channel) => service.deployProblems(channel),
  };
  return { service, catalog, forChannels };
}
