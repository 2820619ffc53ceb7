import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { ChannelDefinition } from '../channel.ts';
import { diffValues } from '../audit/config-audit.ts';
import { restoreMasked } from '../channels/channel-masking.ts';
import type { ChannelService } from '../channels/channel-service.ts';
import { ChannelState, type ChannelStore, type ChannelVersion } from '../channels/channel-store.ts';
import { SwitchboardError } from '../errors.ts';
import { inScope } from '../security/roles.ts';
import type { ConnectorRegistry } from '../connector.ts';
import { actorOf, principalOf } from './access.ts';
import { sendInvalid, sendProblem } from './problem.ts';

const VersionParams = Type.Object({ id: Type.String({ maxLength: 64 }), version: Type.Integer({ minimum: 1 }) });
const RollbackBody = Type.Object({ version: Type.Integer({ minimum: 1 }) }, { additionalProperties: false });
const DiffQuery = Type.Object({ from: Type.Integer({ minimum: 1 }), to: Type.Integer({ minimum: 1 }) });
const SaveQuery = Type.Object({ comment: Type.Optional(Type.String({ maxLength: 500 })) });

const describe = (v: ChannelVersion) => ({ version: v.version, origin: v.origin, author: v.author, comment: v.comment ?? null, at: v.at });

/**
 * Channel versions for the console and automation (`channels:read` to look, `channels:write` to
 * change); every answer masks secrets, and a saved channel whose secret still reads `********` keeps
 * the stored one. A user scoped to channels sees and changes only those.
 * - `GET /api/channels/:id` (state, deployed and latest version), `/versions`, `/versions/:version`,
 *   `/diff?from=&to=`; `GET /api/connectors`: each connector's declared settings, for forms.
 * - `POST /api/channels/validate`: the problems of a channel, or none.
 * - `PUT /api/channels/:id`: saves a new version (422 with the problems when invalid; not deployed).
 * - `POST /api/channels/:id/deploy|undeploy|pause|resume|rollback`: lifecycle, audited; every
 *   engine process follows within RELAY_INTERVAL_MS.
 */
export const channelVersionRoutes: FastifyPluginAsync<Deps> = async (app, deps) => {
  channelReadRoutes(app, deps);
  versionReadRoutes(app, deps);
  channelSaveRoutes(app, deps);
  lifecycleRoutes(app, deps);
};

type Deps = { channels: ChannelService; store: ChannelStore; connectors: ConnectorRegistry };

const read = { access: 'channels:read' } as const;
const write = { access: 'channels:write' } as const;

/** True when the request's principal may see channel `id`; else answers 404 (a channel out of scope is not shown to exist). */
function scoped(request: FastifyRequest, reply: FastifyReply, id: string): boolean {
  if (inScope(principalOf(request), id)) return true;
  void sendProblem(reply, new SwitchboardError('NOT_FOUND'), `no channel ${id}`);
  return false;
}

/** `GET /api/connectors`, `GET /api/channels/:id` and its `/versions`. */
function channelReadRoutes(app: FastifyInstance, { store, connectors }: Deps): void {
  const summary = 'Connectors: destinations (`items`: declared settings and the models each can send) and sources (`sources`)';
  app.get('/api/connectors', { config: read, schema: { summary } }, async () => ({
    items: connectors.destinations.map((d) => ({
      kind: d.kind,
      title: d.title,
      idempotent: d.idempotent,
      models: d.models,
      secrets: d.secrets,
      config: d.config,
      examples: d.examples,
    })),
    sources: connectors.sources.map((d) => ({ kind: d.kind, title: d.title, secrets: d.secrets, config: d.config, examples: d.examples })),
  }));

  app.get<{ Params: { id: string } }>(
    '/api/channels/:id',
    { config: read, schema: { summary: 'A channel: state, deployed and latest version' } },
    async (request, reply) => {
      const { id } = request.params;
      if (!scoped(request, reply, id)) return reply;
      const [latest, state] = await Promise.all([store.latest(id), store.state(id)]);
      if (!latest) return sendProblem(reply, new SwitchboardError('NOT_FOUND'), `no channel ${id}`);
      return {
        id,
        state: state?.state ?? ChannelState.undeployed,
        deployedVersion: state && state.state !== ChannelState.undeployed ? state.version : null,
        latest: describe(latest),
        definition: store.shown(latest.definition),
      };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/channels/:id/versions',
    { config: read, schema: { summary: 'Every version of a channel, newest first' } },
    async (request, reply) => {
      if (!scoped(request, reply, request.params.id)) return reply;
      return { items: (await store.history(request.params.id)).map(describe) };
    },
  );
}

/** `GET /api/channels/:id/versions/:version` and `/diff?from=&to=`. */
function versionReadRoutes(app: FastifyInstance, { store }: Deps): void {
  app.get<{ Params: Static<typeof VersionParams> }>(
    '/api/channels/:id/versions/:version',
    { config: read, schema: { summary: 'One version of a channel', params: VersionParams } },
    async (request, reply) => {
      if (!scoped(request, reply, request.params.id)) return reply;
      const v = await store.version(request.params.id, request.params.version);
      return v
        ? { ...describe(v), definition: store.shown(v.definition) }
        : sendProblem(reply, new SwitchboardError('NOT_FOUND'), 'no such version');
    },
  );

  app.get<{ Params: { id: string }; Querystring: Static<typeof DiffQuery> }>(
    '/api/channels/:id/diff',
    { config: read, schema: { summary: 'What changed between two versions', querystring: DiffQuery } },
    async (request, reply) => {
      const { id } = request.params;
      if (!scoped(request, reply, id)) return reply;
      const [a, b] = await Promise.all([store.version(id, request.query.from), store.version(id, request.query.to)]);
      if (!a || !b) return sendProblem(reply, new SwitchboardError('NOT_FOUND'), 'no such version');
      return { from: a.version, to: b.version, changes: diffValues(store.shown(a.definition), store.shown(b.definition)) };
    },
  );
}

/** `POST /api/channels/validate` and `PUT /api/channels/:id` (a new version, not deployed). */
function channelSaveRoutes(app: FastifyInstance, { channels, store }: Deps): void {
  app.post('/api/channels/validate', { config: write, schema: { summary: 'Check a channel without saving it' } }, async (request) => ({
    problems: channels.validate(request.body),
  }));

  app.put<{ Params: { id: string }; Querystring: Static<typeof SaveQuery> }>(
    '/api/channels/:id',
    { config: write, schema: { summary: 'Save a new version of a channel (not deployed)', querystring: SaveQuery } },
    async (request, reply) => {
      const { id } = request.params;
      if (!scoped(request, reply, id)) return reply;
      const body = request.body as ChannelDefinition;
      if (!body || typeof body !== 'object' || body.id !== id)
        return sendProblem(reply, new SwitchboardError('BAD_REQUEST'), 'the body is a channel whose id is the one in the path');
      const latest = await store.latest(id);
      const saved = await channels.save({
        channel: restoreMasked(body, latest && store.open(latest.definition)),
        actor: actorOf(request),
        origin: 'console',
        ...(request.query.comment ? { comment: request.query.comment } : {}),
      });
      if (!saved.ok) return sendInvalid(reply, { kind: 'channel', title: 'Channel is not valid', problems: saved.problems });
      return reply.code(saved.created ? 201 : 200).send(describe(saved.version));
    },
  );
}

/** `POST /api/channels/:id/deploy|undeploy|pause|resume|rollback`, audited. */
function lifecycleRoutes(app: FastifyInstance, { channels, store }: Deps): void {
  /** Sets the channel's state; `deploy` runs the given version or else the latest, the others keep the version. */
  const lifecycle =
    (state: ChannelState, deploy = false) =>
    async (
      request: FastifyRequest<{ Params: { id: string }; Body: { version?: number; override?: string } | undefined }>,
      reply: FastifyReply,
    ) => {
      const { id } = request.params;
      if (!scoped(request, reply, id)) return reply;
      const asked = request.body?.version;
      if (asked !== undefined && !(Number.isInteger(asked) && asked > 0))
        return sendProblem(reply, new SwitchboardError('BAD_REQUEST'), 'version is a positive integer');
      const version = asked ?? (deploy ? (await store.latest(id))?.version : undefined);
      const override = deploy && typeof request.body?.override === 'string' ? { override: request.body.override } : {};
      const admin = principalOf(request).role === 'admin';
      const actor = { ...actorOf(request), admin };
      await channels.setState({ channelId: id, state, ...(version ? { version } : {}), actor, ...override });
      return { id, state, ...(version ? { version } : {}) };
    };
  app.post(
    '/api/channels/:id/deploy',
    {
      config: write,
      schema: {
        summary: 'Deploy the latest version, or `{ version }`',
        description:
          '409 when a data mapping it pins fails a fixture; an administrator may deploy anyway with `{ override: "<reason>" }` (audited).',
      },
    },
    lifecycle(ChannelState.deployed, true),
  );
  app.post(
    '/api/channels/:id/undeploy',
    { config: write, schema: { summary: 'Stop a channel (stored messages are kept)' } },
    lifecycle(ChannelState.undeployed),
  );
  app.post(
    '/api/channels/:id/pause',
    { config: write, schema: { summary: 'Stop taking messages and hold deliveries' } },
    lifecycle(ChannelState.paused),
  );
  app.post(
    '/api/channels/:id/resume',
    { config: write, schema: { summary: 'Take messages and deliver again' } },
    lifecycle(ChannelState.deployed),
  );

  app.post<{ Params: { id: string }; Body: Static<typeof RollbackBody> }>(
    '/api/channels/:id/rollback',
    { config: write, schema: { summary: 'Save an old version as the newest and deploy it', body: RollbackBody } },
    async (request, reply) => {
      if (!scoped(request, reply, request.params.id)) return reply;
      const v = await channels.rollback({ channelId: request.params.id, version: request.body.version, actor: actorOf(request) });
      return describe(v);
    },
  );
}
