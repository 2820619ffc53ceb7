import type { FastifyPluginAsync } from 'fastify';
import type { ChannelDefinition } from '../channel.ts';
import { inScope } from '../security/roles.ts';
import { findDestinationConnector } from '../../connectors/index.ts';
import { principalOf } from './access.ts';

export const SECRET_MASK = '********';

/** A copy of `config` with each dotted `secrets` path replaced by SECRET_MASK where it is set. */
export function redactSecrets(config: Record<string, unknown>, secrets: readonly string[]): Record<string, unknown> {
  const out = structuredClone(config);
  for (const path of secrets) {
    const keys = path.split('.');
    let node: Record<string, unknown> | undefined = out;
    for (const k of keys.slice(0, -1)) node = node?.[k] && typeof node[k] === 'object' ? (node[k] as Record<string, unknown>) : undefined;
    const last = keys.at(-1)!;
    if (node && node[last] !== undefined) node[last] = SECRET_MASK;
  }
  return out;
}

/**
 * `GET /api/channels` (`channels:read`): the deployed channels of the user's scope, as declared,
 * with every secret masked: a destination's declared secret fields and a FHIR source's static
 * tokens (SMART clients' JWKS are public keys and are shown). Secrets are never returned by the API.
 */
export const channelRoutes: FastifyPluginAsync<{ channels: readonly ChannelDefinition[] }> = async (app, { channels }) => {
  app.get('/api/channels', { config: { access: 'channels:read' }, schema: { summary: 'Deployed channels', description: 'The channels of the caller’s scope as declared, with every secret masked.' } }, async (request) => {
    const p = principalOf(request);
    return {
      items: channels
        .filter((c) => inScope(p, c.id))
        .map((c) => {
          const source = c.source.kind === 'fhir' ? { ...c.source, tokens: (c.source.tokens ?? []).map(() => SECRET_MASK) } : c.source;
          const destinations = c.destinations.map((d) => ({ ...d, config: redactSecrets(d.config as Record<string, unknown>, findDestinationConnector(d.kind)?.secrets ?? []) }));
          return { ...c, source, destinations };
        }),
    };
  });
};
