import { Queue, type ConnectionOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ChannelDefinition } from './channel.ts';
import type { EngineConfig } from './config/config.ts';
import type { SecurityConfig } from './config/security-config.ts';
import { SwitchboardError } from './errors.ts';
import type { Logger } from './log.ts';
import { DeliveryQueues } from './queue/delivery-queues.ts';
import { RedisLease } from './queue/lease.ts';
import {
  assertNoEviction,
  producerConnection,
  ROUTE_QUEUE,
  workerConnectionOptions,
  type DeliveryJobData,
  type RouteJobData,
} from './queue/queues.ts';
import { Relay } from './queue/relay.ts';
import { RouteWorker } from './route-worker.ts';
import { Keyring, SearchHasher } from './security/encryption.ts';
import { RecordSealer } from './store/record-sealer.ts';
import { Store } from './store/store.ts';
import type { Transform } from '../transforms/dsl/define-transform.ts';
import type { ConnectorRegistry } from './connector.ts';
import { FlowCatalog } from './flows/flow-catalog.ts';
import { FlowQueues } from './flows/flow-queues.ts';
import { FlowRelay } from './flows/flow-relay.ts';
import type { FlowDefinition } from './flows/flow-schema.ts';
import { FlowStarter } from './flows/flow-starter.ts';
import { FlowWorker } from './flows/flow-worker.ts';
import type { FlowCounters } from './flows/flow-counters.ts';
import { RedisMutex } from './queue/redis-mutex.ts';

/*
 * The engine's start, phase by phase (engine.ts calls them in order). Each phase registers its
 * cleanup in `cleanups` as soon as it has something to close, so a start that fails half way closes
 * what it opened.
 */

/** One step of the engine's ordered shutdown; the engine runs them in reverse order of registration. */
export interface Cleanup {
  name: string;
  run: () => Promise<unknown>;
}

/** The store as opened, with the keys that seal and hash its records (none when not configured). */
export interface OpenedStore {
  store: Store;
  keyring: Keyring | undefined;
  hasher: SearchHasher | undefined;
}

/** The store, with encryption at rest and search hashing as configured; STORE_UNAVAILABLE after STARTUP_TIMEOUT_MS. */
export async function openStore(config: EngineConfig, security: SecurityConfig, cleanups: Cleanup[]): Promise<OpenedStore> {
  const keyring = Keyring.fromConfig(security);
  const hasher = security.SEARCH_HASH_KEY ? new SearchHasher(Buffer.from(security.SEARCH_HASH_KEY, 'base64')) : undefined;
  const sealer = new RecordSealer({ ...(keyring ? { keyring } : {}), ...(hasher ? { hasher } : {}) });
  const store = new Store({ url: config.MONGODB_URL, dbName: config.MONGODB_DB, sealer });
  cleanups.push({ name: 'store', run: () => store.close() });
  const fail = (err: unknown) =>
    new SwitchboardError('STORE_UNAVAILABLE', `cannot reach the MongoDB-wire server at MONGODB_URL: ${(err as Error).message}`);
  await retryUntil(config.STARTUP_TIMEOUT_MS, () => store.start(), fail);
  return { store, keyring, hasher };
}

/** The queues' Redis (noeviction checked); QUEUE_UNAVAILABLE after STARTUP_TIMEOUT_MS. */
export async function openQueues(config: EngineConfig, cleanups: Cleanup[]) {
  const redis: Redis = producerConnection(config.REDIS_URL);
  cleanups.push({ name: 'redis', run: () => redis.quit().catch(() => redis.disconnect()) });
  const fail = (err: unknown) => new SwitchboardError('QUEUE_UNAVAILABLE', `cannot reach Redis at REDIS_URL: ${(err as Error).message}`);
  await retryUntil(config.STARTUP_TIMEOUT_MS, () => redis.ping(), fail);
  await assertNoEviction(redis);
  const routeQueue = new Queue<RouteJobData>(ROUTE_QUEUE, { connection: redis, prefix: config.QUEUE_PREFIX });
  cleanups.push({ name: 'route queue', run: () => routeQueue.close() });
  return {
    redis,
    routeQueue,
    connection: workerConnectionOptions(config.REDIS_URL),
    deliveryQueues: new DeliveryQueues(),
  };
}

/** The route worker and the relay, registered for shutdown; running only where `runsWorkers`. */
export function startWorkers(
  o: {
    config: EngineConfig;
    store: Store;
    redis: Redis;
    log: Logger;
    transforms: ReadonlyMap<string, Transform>;
    channels: ReadonlyMap<string, ChannelDefinition>;
    routeQueue: Queue<RouteJobData>;
    deliveryQueues: DeliveryQueues;
    connection: ConnectionOptions;
    runsWorkers: boolean;
    flows: OpenedFlows;
  },
  cleanups: Cleanup[],
): Relay {
  const { config, store, log, deliveryQueues } = o;
  const worker = { connection: o.connection, prefix: config.QUEUE_PREFIX, concurrency: config.ROUTE_CONCURRENCY };
  const flows = o.flows.starter;
  const routeWorker = new RouteWorker({ channels: o.channels, transforms: o.transforms, store, deliveryQueues, log, worker, flows });
  cleanups.push({ name: 'route worker', run: () => routeWorker.close(config.SHUTDOWN_GRACE_MS) });
  if (o.runsWorkers) routeWorker.start();
  // One relay pass per deployment at a time; a holder that dies hands over after three intervals.
  const lease = new RedisLease({ redis: o.redis, key: `${config.QUEUE_PREFIX}:relay:lease`, ttlMs: 3 * config.RELAY_INTERVAL_MS });
  const timing = { intervalMs: config.RELAY_INTERVAL_MS, staleMs: config.RELAY_STALE_MS, sweepMs: config.RELAY_SWEEP_MS };
  const relay = new Relay({ store, routeQueue: o.routeQueue, deliveryQueues, log, ...timing, lease, flows: o.flows.relay });
  cleanups.push({ name: 'relay', run: () => relay.close() });
  if (o.runsWorkers) relay.start();
  return relay;
}

/** Retries `op` until it succeeds or `timeoutMs` passes; then throws `fail(lastError)`. */
export async function retryUntil(timeoutMs: number, op: () => Promise<unknown>, fail: (err: unknown) => Error): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await op();
      return;
    } catch (err) {
      if (Date.now() >= deadline) throw fail(err);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** The flows' parts (issue 24): the catalog, their queues, what starts instances, and the relay's part. */
export interface OpenedFlows {
  catalog: FlowCatalog;
  queues: FlowQueues;
  starter: FlowStarter;
  relay: FlowRelay;
  /** The flows' counters of this process, for /metrics. */
  counters: FlowCounters;
  /** PSEUDONYM_KEY's bytes, for steps (and destinations) whose data policy pseudonymises. */
  pseudonymKey: Buffer | undefined;
}

/**
 * Loads the flows (refused at start when one is invalid: FlowCatalog.load), opens their queues and,
 * where `runsWorkers`, starts a worker per flow; registered for shutdown.
 */
export async function openFlows(
  o: {
    config: EngineConfig;
    store: Store;
    redis: Redis;
    connection: ConnectionOptions;
    connectors: ConnectorRegistry;
    env: NodeJS.ProcessEnv;
    log: Logger;
    flows: readonly FlowDefinition[];
    runsWorkers: boolean;
    /** The process's flow counters (its /metrics writes them). */
    counters: FlowCounters;
  },
  cleanups: Cleanup[],
): Promise<OpenedFlows> {
  const { config, store, log, counters } = o;
  const pseudonymKey = config.PSEUDONYM_KEY ? Buffer.from(config.PSEUDONYM_KEY, 'base64') : undefined;
  const catalog = await FlowCatalog.load({ flows: o.flows, connectors: o.connectors, env: o.env, store });
  const mutex = new RedisMutex({ redis: o.redis, prefix: config.QUEUE_PREFIX });
  store.flows.serializeWith((id, work) => mutex.run(`flow:${id}`, work));
  const queues = new FlowQueues({ redis: o.redis, prefix: config.QUEUE_PREFIX, flowIds: catalog.all().map((f) => f.definition.id) });
  cleanups.push({ name: 'flow queues', run: () => queues.close() });
  const worker = { connection: o.connection, prefix: config.QUEUE_PREFIX, concurrency: config.DELIVERY_CONCURRENCY };
  for (const flow of o.runsWorkers ? catalog.all() : []) {
    const key = pseudonymKey ? { pseudonymKey } : {};
    const w = new FlowWorker({
      flowId: flow.definition.id,
      catalog,
      store,
      queues,
      counters,
      connectors: o.connectors,
      env: o.env,
      worker,
      log,
      ...key,
    });
    cleanups.push({ name: `flow worker ${flow.definition.id}`, run: () => w.close(config.SHUTDOWN_GRACE_MS) });
    w.start();
  }
  const starter = new FlowStarter({ catalog, store, queues, counters, log });
  const relay = new FlowRelay({ catalog, store, queues, counters, log, staleMs: config.RELAY_STALE_MS });
  return { catalog, queues, starter, relay, counters, pseudonymKey };
}
