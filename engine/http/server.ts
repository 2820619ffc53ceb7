import { readFileSync } from 'node:fs';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { AuditLog } from '../audit/audit-log.ts';
import type { ChannelDefinition } from '../channel.ts';
import type { SecurityConfig } from '../config/security-config.ts';
import type { Logger } from '../log.ts';
import type { AuthService } from '../security/auth-service.ts';
import type { Store } from '../store/store.ts';
import type { MessageRecord } from '../store/message-record.ts';
import type { CorrectionOutcome } from '../intake/corrections.ts';
import { problemErrorHandler, sendProblem } from './problem.ts';
import { listAdminRoutes, registerAccessControl } from './access.ts';
import { registerSecurityHeaders } from './security-headers.ts';
import { clientErrorHandler, frameworkErrors } from './framework-errors.ts';
import { registerOriginCheck } from './origin-check.ts';
import { ATTEMPTS_PER_MINUTE, authRoutes } from './auth.routes.ts';
import { LoginThrottle } from './login-throttle.ts';
import { userRoutes } from './users.routes.ts';
import { auditRoutes } from './audit.routes.ts';
import { channelRoutes } from './channels.routes.ts';
import { channelVersionRoutes } from './channel-versions.routes.ts';
import type { ChannelService } from '../channels/channel-service.ts';
import type { ChannelStore } from '../channels/channel-store.ts';
import type { TableService } from '../tables/table-service.ts';
import { tableRoutes } from './tables.routes.ts';
import { messageRoutes } from './messages.routes.ts';
import { messageCorrectionRoutes } from './message-corrections.routes.ts';
import { transformRoutes } from './transforms.routes.ts';
import { mappingRoutes } from './mappings.routes.ts';
import { channelPreviewRoutes } from './channel-preview.routes.ts';
import type { ChannelPreviewer } from '../mappings/channel-preview.ts';
import type { MappingService } from '../mappings/mapping-service.ts';
import { deliveryRoutes } from './deliveries.routes.ts';
import { metricsRoutes } from './metrics.routes.ts';
import { openApiRoutes } from './openapi.routes.ts';
import { consoleRoutes } from './console.routes.ts';
import type { Replayer } from '../replay/replayer.ts';
import type { Transform } from '../../transforms/dsl/define-transform.ts';
import { SwitchboardError } from '../errors.ts';
import type { ConnectorRegistry } from '../connector.ts';
import type { DeliveryQueues } from '../queue/delivery-queues.ts';
import { flowRoutes } from './flows.routes.ts';
import type { FlowCatalog } from '../flows/flow-catalog.ts';
import type { FlowOperations } from '../flows/flow-operations.ts';
import type { FlowCounters } from '../flows/flow-counters.ts';

export interface HttpServerOptions {
  store: Store;
  redis: Redis;
  log: Logger;
  audit: AuditLog;
  auth: AuthService;
  security: SecurityConfig;
  /** The channels running in this process (they change with deploys). */
  channels: () => readonly ChannelDefinition[];
  /** MLLP port of each channel listening in this process. */
  mllpPorts: () => Record<string, number>;
  channelService: ChannelService;
  channelStore: ChannelStore;
  /** Lookup tables: versions, CSV import and export. */
  tableService: TableService;
  /** The connectors the engine runs, for `GET /api/connectors`. */
  connectors: ConnectorRegistry;
  transforms: ReadonlyMap<string, Transform>;
  /** The data mappings (engine/mappings): their versions, checks and previews. */
  mappings: MappingService;
  /** Runs a draft channel version against stored traffic (`POST /api/channels/:id/preview`). */
  previewer: ChannelPreviewer;
  /** Sends an errored or filtered message back through routing; false when its state does not allow it. */
  reroute(messageId: string): Promise<boolean>;
  /** Edit and resend: stores and routes corrected content as a new message linked to `original` (intake/corrections.ts). */
  correct(original: MessageRecord, content: string): Promise<CorrectionOutcome>;
  replayer: Replayer;
  /** The delivery queues by destination id, for queue depth in /metrics and the dashboard (read at each request). */
  deliveryQueues: DeliveryQueues;
  /** The process flows: their definitions and what support does to their instances. */
  flows: { catalog: FlowCatalog; operations: FlowOperations; counters: FlowCounters };
  /** Body limit for the admin API. Default 1 MiB. */
  bodyLimit?: number;
}

/**
 * The engine's Fastify app: the admin API under /api (every route declares who may call it; see
 * access.ts) and the FHIR sources' routes, which the engine registers. HTTPS when HTTPS_CERT_FILE
 * and HTTPS_KEY_FILE are set. Built without listening, so tests use inject(); the engine listens.
 * Limits: 1 MiB bodies (4 KiB on the public sign-in routes), Node's 16 KiB of headers, 30 s per
 * request; no CORS headers, so browsers refuse cross-origin calls, and changes from another origin
 * are refused (origin-check.ts). Every answer carries the security
 * headers and every error is an RFC 9457 problem, Fastify's and Node's parser refusals included.
 */
export function buildHttpServer(options: HttpServerOptions): FastifyInstance {
  const { HTTPS_CERT_FILE: certFile, HTTPS_KEY_FILE: keyFile } = options.security;
  const https =
    certFile && keyFile ? { https: { cert: readFileSync(certFile), key: readFileSync(keyFile), minVersion: 'TLSv1.2' as const } } : {};
  const onHttps = { https: Boolean(certFile) };
  // Every answer, the framework's and the HTTP parser's refusals included, is a problem with the security headers.
  const app = Fastify({
    logger: false,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    requestTimeout: 30_000,
    frameworkErrors: frameworkErrors(onHttps),
    clientErrorHandler: clientErrorHandler(onHttps),
    ...https,
  }) as unknown as FastifyInstance;
  app.setErrorHandler(problemErrorHandler(options.log));
  app.setNotFoundHandler((_request, reply) => sendProblem(reply, new SwitchboardError('NOT_FOUND'), 'no such route'));
  registerSecurityHeaders(app, onHttps);
  registerOriginCheck(app, {
    https: onHttps.https,
    log: options.log,
    ...(options.security.CONSOLE_ORIGIN ? { consoleOrigin: options.security.CONSOLE_ORIGIN } : {}),
  });
  registerAccessControl(app, { auth: options.auth, audit: options.audit });
  registerHealthRoute(app, options);
  registerAdminRoutes(app, options);
  return app;
}

/** `GET /api/health` (public): 200 when the store and Redis answer, else 503 naming the one that is down. */
function registerHealthRoute(app: FastifyInstance, options: HttpServerOptions): void {
  app.get(
    '/api/health',
    {
      config: { access: 'public' },
      schema: {
        summary: 'Liveness and dependencies',
        description:
          '200 when the message store and Redis answer, else 503 naming the one that is down. No credentials needed; no figures.',
      },
    },
    async (_request, reply) => {
      const [store, redis] = await Promise.all([
        options.store.ping().then(
          () => 'up' as const,
          () => 'down' as const,
        ),
        options.redis.ping().then(
          () => 'up' as const,
          () => 'down' as const,
        ),
      ]);
      const ok = store === 'up' && redis === 'up';
      return reply.code(ok ? 200 : 503).send({ status: ok ? 'up' : 'degraded', services: { store, redis } });
    },
  );
}

/** The admin API's route plugins, the OpenAPI description and the console. */
function registerAdminRoutes(app: FastifyInstance, options: HttpServerOptions): void {
  // Per deployment (the database the users are in), shared by its processes.
  const throttle = new LoginThrottle({
    redis: options.redis,
    namespace: `sb:${options.auth.users.dbName}`,
    limit: ATTEMPTS_PER_MINUTE,
    windowMs: 60_000,
  });
  app.register(authRoutes, { auth: options.auth, audit: options.audit, config: options.security, throttle });
  app.register(userRoutes, { auth: options.auth, audit: options.audit });
  app.register(auditRoutes, { audit: options.audit });
  app.register(channelRoutes, { store: options.channelStore, ports: options.mllpPorts });
  app.register(channelVersionRoutes, { channels: options.channelService, store: options.channelStore, connectors: options.connectors });
  app.register(tableRoutes, { tables: options.tableService });
  app.register(messageRoutes, { store: options.store, audit: options.audit, reroute: options.reroute });
  app.register(messageCorrectionRoutes, { store: options.store, audit: options.audit, correct: options.correct });
  app.register(transformRoutes, { transforms: options.transforms });
  app.register(mappingRoutes, { mappings: options.mappings });
  app.register(channelPreviewRoutes, { previewer: options.previewer, channels: options.channelService });
  app.register(deliveryRoutes, { store: options.store, replayer: options.replayer, audit: options.audit });
  app.register(flowRoutes, { store: options.store, catalog: options.flows.catalog, operations: options.flows.operations });
  app.register(metricsRoutes, {
    store: options.store,
    deliveryQueues: options.deliveryQueues,
    channels: options.channels,
    flows: options.flows.counters,
  });
  app.register(openApiRoutes, { routes: () => listAdminRoutes(app) });
  app.register(consoleRoutes);
}
