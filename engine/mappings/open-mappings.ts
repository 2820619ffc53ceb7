import type { AuditLog } from '../audit/audit-log.ts';
import type { ChannelMappings } from '../channels/channel-service.ts';
import type { ChannelStore } from '../channels/channel-store.ts';
import type { Store } from '../store/store.ts';
import { TableService } from '../tables/table-service.ts';
import type { Transform } from '../../transforms/dsl/define-transform.ts';
import { MappingService } from './mapping-service.ts';
import { MappingStore } from './mapping-store.ts';
import { tableUsers } from './table-users.ts';
import { TransformCatalog } from './transform-catalog.ts';
import { TableVersions } from './table-versions.ts';

export interface Mappings {
  service: MappingService;
  catalog: TransformCatalog;
  tables: TableService;
  /** What the channel service asks of them. */
  forChannels: ChannelMappings;
}

/**
 * The data mappings and lookup tables of one engine process (or CLI command): their stores, the
 * catalog that compiles a channel version's pins into `registry`, and the services behind the API.
 * Indexes are made here.
 */
export async function openMappings(o: {
  store: Store;
  audit: AuditLog;
  /** The engine's transform registry: the shipped transforms, to which each resolved mapping is added. */
  registry: Map<string, Transform>;
  channels: ChannelStore;
}): Promise<Mappings> {
  const mappings = new MappingStore(o.store);
  const tables = new TableService({
    store: o.store,
    audit: o.audit,
    usedBy: (name) => tableUsers({ channels: o.channels, mappings }, name),
  });
  await Promise.all([mappings.start(), tables.start()]);
  const versions = new TableVersions(tables);
  const catalog = new TransformCatalog({ registry: o.registry, mappings, tables: versions });
  const service = new MappingService({ mappings, tables: versions, catalog, audit: o.audit });
  const forChannels: ChannelMappings = {
    runnable: (channel) => catalog.runnable(channel),
    deployProblems: (channel) => service.deployProblems(channel),
  };
  return { service, catalog, tables, forChannels };
}
