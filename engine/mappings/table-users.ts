import { ChannelState, type ChannelStore } from '../channels/channel-store.ts';
import type { TableUse } from '../tables/table-service.ts';
import { mappingTables } from '../../transforms/mapping/compile-mapping.ts';
import type { MappingStore } from './mapping-store.ts';

/**
 * Which channel versions use the lookup table `name`: the deployed (or paused) version and the
 * latest version of every channel, where the version pins the table and one of its pinned
 * mappings names it. What `GET /api/tables/:name` shows, so an analyst sees what a change reaches.
 */
export async function tableUsers(o: { channels: ChannelStore; mappings: MappingStore }, name: string): Promise<TableUse[]> {
  const uses: TableUse[] = [];
  for (const channelId of await o.channels.channelIds()) {
    const state = await o.channels.state(channelId);
    const latest = await o.channels.latest(channelId);
    const numbers = new Set([latest?.version, state && state.state !== ChannelState.undeployed ? state.version : undefined]);
    for (const n of [...numbers].filter((v): v is number => v !== undefined).sort((a, b) => a - b)) {
      const version = n === latest?.version ? latest : await o.channels.version(channelId, n);
      if (!version?.definition.tables?.[name]) continue;
      for (const pin of version.definition.mappings ?? []) {
        const mapping = await o.mappings.version(pin.id, pin.version);
        if (mapping && mappingTables(mapping.definition).includes(name)) uses.push({ channelId, channelVersion: n, mappingId: pin.id });
      }
    }
  }
  return uses;
}
