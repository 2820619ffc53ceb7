import Fastify, { type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Logger } from '../log.ts';
import type { MongoStore } from '../store/mongo-store.ts';
import { problemErrorHandler, sendProblem } from './problem.ts';
import { messageRoutes } from './messages.routes.ts';
import { transformRoutes } from './transforms.routes.ts';
import { deliveryRoutes } from './deliveries.routes.ts';
import type { Replayer } from '../replay.ts';
import type { Transform } from '../../transforms/dsl/define-transform.ts';
import { SwitchboardError } from '../errors.ts';

export interface HttpServerOptions {
  store: MongoStore;
  redis: Redis;
  log: Logger;
  transforms: ReadonlyMap<string, Transform>;
  /** Sends an errored or filtered message back through routing; false when its state does not allow it. */
  reroute(messageId: string): Promise<boolean>;
  replayer: Replayer;
  /** Body limit for the admin API. */
  bodyLimit?: number;
}

/**
 * The engine's Fastify app: admin API under /api. Built without listening, so tests use inject();
 * the engine calls listen(). Until authentication lands (issue 7) it binds to loopback only.
 */
export function buildHttpServer(options: HttpServerOptions): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: options.bodyLimit ?? 1024 * 1024 });
  app.setErrorHandler(problemErrorHandler(options.log));
  app.setNotFoundHandler((request, reply) => sendProblem(reply, new SwitchboardError('NOT_FOUND'), `no route ${request.method} ${request.url.split('?')[0]}`));

  app.get('/api/health', async (_request, reply) => {
    const [store, redis] = await Promise.all([
      options.store.ping().then(() => 'up' as const, () => 'down' as const),
      options.redis.ping().then(() => 'up' as const, () => 'down' as const),
    ]);
    const ok = store === 'up' && redis === 'up';
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'up' : 'degraded', services: { store, redis } });
  });
  app.register(messageRoutes, { store: options.store, reroute: options.reroute });
  app.register(transformRoutes, { transforms: options.transforms });
  app.register(deliveryRoutes, { store: options.store, replayer: options.replayer });
  return app;
}
