import type { FastifyPluginAsync } from 'fastify';
import { ChannelState, type ChannelStore } from '../channels/channel-store.ts';
import { inScope } from '../security/roles.ts';
import { principalOf } from './access.ts';

/**
 * `GET /api/channels` (`channels:read`): the channels of the user's scope, with their state, the
 * version deployed, the latest version and, for a running MLLP channel in this process, its port.
 * Definitions are those of the deployed version (else the latest), with every secret masked.
 */
export const channelRoutes: FastifyPluginAsync<{ store: ChannelStore; ports: () => Record<string, number> }> = async (
  app,
  { store, ports },
) => {
  app.get(
    '/api/channels',
    {
      config: { access: 'channels:read' },
      schema: {
        summary: 'Channels',
        description: 'The channels of the caller’s scope: state, versions, and the definition with every secret masked.',
      },
    },
    async (request) => {
      const p = principalOf(request);
      const listening = ports();
      const ids = (await store.channelIds()).filter((id) => inScope(p, id));
      const items = await Promise.all(
        ids.map(async (id) => {
          const [state, latest] = await Promise.all([store.state(id), store.latest(id)]);
          const deployed = state && state.state !== ChannelState.undeployed ? state.version : null;
          const shown = (deployed !== null ? await store.version(id, deployed) : undefined) ?? latest!;
          return {
            ...store.shown(shown.definition),
            state: state?.state ?? ChannelState.undeployed,
            deployedVersion: deployed,
            latestVersion: latest!.version,
            port: listening[id] ?? null,
          };
        }),
      );
      return { items };
    },
  );
};
