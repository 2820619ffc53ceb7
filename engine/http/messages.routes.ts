import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { SwitchboardError } from '../errors.ts';
import type { MongoStore } from '../store/mongo-store.ts';
import { MessageStatus } from '../store/states.ts';
import { sendProblem } from './problem.ts';
import { decodeBytes } from '../hl7v2/index.ts';

const ListQuery = Type.Object({
  channel: Type.Optional(Type.String({ maxLength: 100 })),
  status: Type.Optional(Type.Union(Object.values(MessageStatus).map((s) => Type.Literal(s)))),
  controlId: Type.Optional(Type.String({ maxLength: 200 })),
  mrn: Type.Optional(Type.String({ maxLength: 200 })),
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
  before: Type.Optional(Type.String({ maxLength: 64, description: 'cursor: nextBefore of the previous page' })),
});

/**
 * Message search and detail. Results are newest first, paginated by cursor (`nextBefore`).
 * PHI is returned as stored until roles and masking land (issue 7); the server is loopback-only.
 */
export const messageRoutes: FastifyPluginAsync<{ store: MongoStore; reroute(id: string): Promise<boolean> }> = async (app, { store, reroute }) => {
  app.get<{ Querystring: Static<typeof ListQuery> }>('/api/messages', { schema: { querystring: ListQuery } }, async (request) => {
    const q = request.query;
    const items = await store.listMessages({
      limit: q.limit,
      ...(q.channel ? { channelId: q.channel } : {}),
      ...(q.status ? { status: q.status } : {}),
      ...(q.controlId ? { controlId: q.controlId } : {}),
      ...(q.mrn ? { mrn: q.mrn } : {}),
      ...(q.before ? { before: q.before } : {}),
    });
    const last = items.at(-1);
    return { items, nextBefore: items.length === q.limit && last ? last._id : null };
  });

  app.get<{ Params: { id: string } }>('/api/messages/:id', async (request, reply) => {
    const message = await store.getMessage(request.params.id);
    if (!message) return sendProblem(reply, new SwitchboardError('NOT_FOUND'), 'no message with that id');
    const { raw, ...rest } = message;
    return { ...rest, raw: decodeBytes(raw, { defaultCharset: message.charset }).text };
  });

  /**
   * Routes an `errored` or `filtered` message again with the current transforms (after a fix).
   * 202 when queued; 409 when the message is in a state that cannot be re-routed.
   * Full replay of deliveries, with dry run and audit, is issue 6's.
   */
  app.post<{ Params: { id: string } }>('/api/messages/:id/reroute', async (request, reply) => {
    const message = await store.getMessage(request.params.id);
    if (!message) return sendProblem(reply, new SwitchboardError('NOT_FOUND'), 'no message with that id');
    if (!(await reroute(message._id))) return sendProblem(reply, new SwitchboardError('CONFLICT'), `a ${message.status} message cannot be re-routed; only errored or filtered ones`);
    return reply.code(202).send({ id: message._id, status: 'received' });
  });
};
