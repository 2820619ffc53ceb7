import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { AuditLog } from '../audit/audit-log.ts';
import { ErrorCatalog, SwitchboardError } from '../errors.ts';
import { countDead, listDeadDeliveries } from '../replay/dead-letters.ts';
import type { Replayer } from '../replay/replayer.ts';
import { requestReplay, type ReplayAsk } from '../replay/replay-requests.ts';
import { inScope, type Principal } from '../security/roles.ts';
import type { Store } from '../store/store.ts';
import type { ReplayRecord } from '../store/message-record.ts';
import { ReplayableStatus } from '../store/states.ts';
import { principalOf, sourceIp } from './access.ts';
import { sendProblem } from './problem.ts';

const DeadQuery = Type.Object({
  channel: Type.Optional(Type.String({ maxLength: 100 })),
  destination: Type.Optional(Type.String({ maxLength: 100 })),
  errorCode: Type.Optional(Type.String({ maxLength: 60 })),
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
});

const ReplayBody = Type.Object({
  messageIds: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 10_000 })),
  filter: Type.Optional(
    Type.Object({
      channel: Type.Optional(Type.String({ maxLength: 100 })),
      destination: Type.Optional(Type.String({ maxLength: 100 })),
      errorCode: Type.Optional(Type.Union(Object.keys(ErrorCatalog).map((c) => Type.Literal(c)))),
      from: Type.Optional(Type.String({ format: 'date-time' })),
      to: Type.Optional(Type.String({ format: 'date-time' })),
      status: Type.Optional(
        Type.Union([Type.Literal(ReplayableStatus.dead), Type.Literal(ReplayableStatus.delivered)], {
          default: ReplayableStatus.dead,
          description: 'dead: replay dead deliveries under their key; delivered: send delivered ones again on purpose, under a new key.',
        }),
      ),
    }),
  ),
  reason: Type.String({ minLength: 3, maxLength: 1000 }),
  dryRun: Type.Boolean({ default: false }),
});

/**
 * Dead letters and replay for support staff:
 * - `GET /api/deliveries/dead`: dead deliveries with their last error and the peer's answer;
 * - `GET /api/deliveries/dead/counts`: counts by destination and error code;
 * - `POST /api/replays`: replay one message, a selection or a filter (dead deliveries, or delivered
 *   ones sent again), optionally as a dry run that shows what the current transforms would send
 *   differently; a reason is required; a real replay runs in the background;
 * - `GET /api/replays` and `/api/replays/:id`: who replayed what, when and why, and how far it got.
 * Reading needs `deliveries:read`, replaying `deliveries:replay`; both see only the user's channels
 * (a scoped user's filter must name one of them). Replays are recorded with the signed-in user and
 * in the audit log.
 */
export const deliveryRoutes: FastifyPluginAsync<Deps> = async (app, deps) => {
  deadLetterRoutes(app, deps);
  replayRoutes(app, deps);
};

type Deps = { store: Store; replayer: Replayer; audit: AuditLog };

/** `GET /api/deliveries/dead` and `/dead/counts`. */
function deadLetterRoutes(app: FastifyInstance, { store }: Deps): void {
  const dead = (q: Static<typeof DeadQuery>, p: Principal) => listDeadDeliveries(store, q, p);

  app.get<{ Querystring: Static<typeof DeadQuery> }>(
    '/api/deliveries/dead',
    {
      config: { access: 'deliveries:read' },
      schema: {
        summary: 'Dead letters',
        description:
          'Dead deliveries of the caller’s channels with the number of attempts, the last error and the peer’s answer; MRNs masked ' +
          'without the PHI permission.',
        querystring: DeadQuery,
      },
    },
    async (request) => {
      const items = await dead(request.query, principalOf(request));
      return { items: items.slice(0, request.query.limit), total: items.length };
    },
  );

  app.get<{ Querystring: Static<typeof DeadQuery> }>(
    '/api/deliveries/dead/counts',
    {
      config: { access: 'deliveries:read' },
      schema: {
        summary: 'Dead letters counted',
        description: 'Dead deliveries of the caller’s channels by destination and error code, most first.',
        querystring: DeadQuery,
      },
    },
    async (request) => {
      return { items: countDead(await dead(request.query, principalOf(request))) };
    },
  );
}

/** `POST /api/replays`, `GET /api/replays` and `/api/replays/:id`. */
function replayRoutes(app: FastifyInstance, { store, replayer, audit }: Deps): void {
  app.post<{ Body: Static<typeof ReplayBody> }>(
    '/api/replays',
    {
      config: { access: 'deliveries:replay' },
      schema: {
        summary: 'Replay deliveries',
        description:
          'Dead deliveries (or, with filter.status "delivered", delivered ones sent again under a new key), chosen by message ids and/or ' +
          'a filter, with a required reason. A dry run (200) shows per delivery the fields the current transforms would change; a real ' +
          'replay (202, Location of its record) goes on in the background, behind live traffic. Recorded with who and why, and audited.',
        body: ReplayBody,
      },
    },
    async (request, reply) => {
      const result = await requestReplay(
        { store, replayer, audit },
        { principal: principalOf(request), ...(request.body as Omit<ReplayAsk, 'principal'>), sourceIp: sourceIp(request) },
      );
      if (!result.dryRun) return reply.code(202).header('location', `/api/replays/${result.replayId}`).send(result);
      return result;
    },
  );

  /** A scoped user sees the replays they asked for and those whose filter names one of their channels. */
  const visible = (p: Principal, r: Pick<ReplayRecord, 'requestedBy' | 'selection'>) =>
    p.channels === '*' || r.requestedBy === p.username || (r.selection.channel !== undefined && inScope(p, r.selection.channel));

  app.get(
    '/api/replays',
    {
      config: { access: 'deliveries:read' },
      schema: { summary: 'Replays', description: 'The last 100 replays: who, when, why, what was selected, and their progress.' },
    },
    async (request) => ({
      items: (await store.replays.list(100)).filter((r) => visible(principalOf(request), r)),
    }),
  );

  app.get<{ Params: { id: string } }>(
    '/api/replays/:id',
    {
      config: { access: 'deliveries:read' },
      schema: {
        summary: 'One replay',
        description:
          'A replay with its progress (selected, replayed, refused, skipped), its state (running or done) and every delivery it set back ' +
          'to pending with the key it is sent under.',
        params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
      },
    },
    async (request, reply) => {
      const r = await store.replays.get(request.params.id);
      if (!r || !visible(principalOf(request), r))
        return sendProblem(reply, new SwitchboardError('NOT_FOUND'), `no replay ${request.params.id}`);
      return r;
    },
  );
}
