import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { ErrorCatalog, type ErrorCode } from '../errors.ts';
import type { Replayer } from '../replay.ts';
import type { MongoStore } from '../store/mongo-store.ts';

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
    }),
  ),
  reason: Type.String({ minLength: 3, maxLength: 1000 }),
  dryRun: Type.Boolean({ default: false }),
});

/**
 * Dead letters and replay for support staff:
 * - `GET /api/deliveries/dead`: dead deliveries with their last error and the peer's answer;
 * - `GET /api/deliveries/dead/counts`: counts by destination and error code;
 * - `POST /api/replays`: replay one message, a selection or a filter, optionally as a dry run that
 *   shows what the current transforms would send differently; a reason is required;
 * - `GET /api/replays`: who replayed what, when and why.
 * Until authentication (issue 7) the requester is the `X-Switchboard-User` header, else `anonymous`.
 */
export const deliveryRoutes: FastifyPluginAsync<{ store: MongoStore; replayer: Replayer }> = async (app, { store, replayer }) => {
  const dead = async (q: Static<typeof DeadQuery>) => {
    const messages = await store.findWithDeadDeliveries({ limit: 10_000, ...(q.channel ? { channelId: q.channel } : {}) });
    return messages.flatMap((m) =>
      Object.values(m.deliveries)
        .filter((d) => d.status === 'dead' && (!q.destination || d.destinationId === q.destination) && (!q.errorCode || d.lastError?.code === q.errorCode))
        .map((d) => ({ messageId: m._id, channelId: m.channelId, receivedAt: m.receivedAt, summary: m.summary, destinationId: d.destinationId, attempts: d.attempts.length, lastError: d.lastError })),
    );
  };

  app.get<{ Querystring: Static<typeof DeadQuery> }>('/api/deliveries/dead', { schema: { querystring: DeadQuery } }, async (request) => {
    const items = await dead(request.query);
    return { items: items.slice(0, request.query.limit), total: items.length };
  });

  app.get<{ Querystring: Static<typeof DeadQuery> }>('/api/deliveries/dead/counts', { schema: { querystring: DeadQuery } }, async (request) => {
    const counts = new Map<string, { destinationId: string; errorCode: ErrorCode | 'UNKNOWN'; count: number }>();
    for (const d of await dead(request.query)) {
      const errorCode = d.lastError?.code ?? 'UNKNOWN';
      const key = `${d.destinationId}|${errorCode}`;
      const c = counts.get(key) ?? { destinationId: d.destinationId, errorCode, count: 0 };
      c.count++;
      counts.set(key, c);
    }
    return { items: [...counts.values()].sort((a, b) => b.count - a.count) };
  });

  app.post<{ Body: Static<typeof ReplayBody> }>('/api/replays', { schema: { body: ReplayBody } }, async (request, reply) => {
    const user = request.headers['x-switchboard-user'];
    const result = await replayer.replay({
      ...(request.body.messageIds ? { messageIds: request.body.messageIds } : {}),
      ...(request.body.filter ? { filter: request.body.filter as never } : {}),
      reason: request.body.reason,
      dryRun: request.body.dryRun,
      requestedBy: typeof user === 'string' && user !== '' ? user.slice(0, 100) : 'anonymous',
    });
    return reply.code(request.body.dryRun ? 200 : 202).send(result);
  });

  app.get('/api/replays', async () => ({ items: await store.listReplays(100) }));
};
