import type { FastifyInstance } from 'fastify';
import type { ChannelDefinition } from './channel.ts';
import type { EngineConfig } from './config/config.ts';
import { SwitchboardError } from './errors.ts';
import {
  assertEgressHosts,
  buildAdminServer,
  buildIntake,
  createReplayer,
  openDefinitions,
  type AdminServerOptions,
} from './engine-parts.ts';
import type { ConnectorRegistry, SourceKind } from './connector.ts';
import { createLogger, type Logger } from './log.ts';
import { openFlows, openQueues, openStore, startWorkers, type Cleanup, type OpenedFlows } from './engine-start.ts';
import { apiTokenAuthorizer, startMetricsListener } from './metrics/metrics-listener.ts';
import { DeliveryHandoff } from './queue/handoff.ts';
import { Relay } from './queue/relay.ts';
import type { Store } from './store/store.ts';
import { transforms as shippedTransforms } from '../transforms/index.ts';
import type { Transform } from '../transforms/dsl/define-transform.ts';
import type { ChannelService, ChannelRunner } from './channels/channel-service.ts';
import type { AuditLog } from './audit/audit-log.ts';
import { loadSecurityConfig, type SecurityConfig } from './config/security-config.ts';
import { AuthService } from './security/auth-service.ts';
import { parseAllowList } from './security/host-allowlist.ts';
import { ChannelRuntime, type ChannelRuntimeOptions } from './channel-runtime.ts';
import type { FlowDefinition } from './flows/flow-schema.ts';
import { FlowCounters } from './flows/flow-counters.ts';
import { openTracing } from './ops/tracing/open-tracing.ts';
import type { AlertRuleDefinition } from './ops/alerts/alert-api-types.ts';
import { openAlerts } from './ops/alerts/open-alerts.ts';
import { openRetention } from './ops/retention/open-retention.ts';

export interface EngineOptions {
  config: EngineConfig;
  /** Channel definitions as written; `${VAR}` placeholders are resolved from `env`. */
  channels: readonly ChannelDefinition[];
  env?: NodeJS.ProcessEnv;
  log?: Logger;
  /** The transform registry; default: every shipped transform (transforms/index.ts). */
  transforms?: ReadonlyMap<string, Transform>;
  /** Security settings; default: read from `env` (see config/security-config.ts). */
  security?: SecurityConfig;
  /** Where the one-time setup token is shown (never the log). Default: standard error. */
  announce?: (line: string) => void;
  /** The source and destination connectors it can run: wiring.ts hands in connectors/index.ts. */
  connectors: ConnectorRegistry;
  /** The process flows it runs (engine/main.ts hands in flows/index.ts); default none. */
  flows?: readonly FlowDefinition[];
  /** Alert rules kept as files (alerts/, read by engine/main.ts): imported at start when changed; default none. */
  alertRules?: readonly AlertRuleDefinition[];
}

export interface EngineAddresses {
  /** null for the worker role, which serves no HTTP. */
  http: { host: string; port: number } | null;
  mllp: Record<string, number>;
  /** The worker role's metrics-only listener (METRICS_PORT), when set. */
  metrics?: { host: string; port: number };
}

/**
 * The engine in one process: role `all` (default), `ingest` (sources and HTTP, no workers) or
 * `worker` (route and delivery workers and the relay; no sources, no HTTP), so that several worker
 * processes can share one Redis and store. Start order: store, Redis, queues, delivery
 * workers, route worker, relay, sources, HTTP; stop is the reverse, each step bounded and in its
 * own try/catch. `start()` and `close()` return one stored promise each.
 */
export class Engine implements ChannelRunner {
  readonly log: Logger;
  private readonly cleanups: Cleanup[] = [];
  private starting: Promise<EngineAddresses> | undefined;
  private closing: Promise<void> | undefined;
  /** Available after start, for tests that inject() requests. */
  http: FastifyInstance | undefined;
  store: Store | undefined;
  relay: Relay | undefined;
  /** This process's flow counters: its /metrics, or a worker's metrics listener. */
  private readonly flowCounters = new FlowCounters();
  auth: AuthService | undefined;
  audit: AuditLog | undefined;
  private readonly runtimes = new Map<string, ChannelRuntime>();
  private runtimeDeps:
    | (Omit<ChannelRuntimeOptions, 'channel' | 'version'> & {
        channels: Map<string, ChannelDefinition>;
        encrypting: boolean;
        hashing: boolean;
      })
    | undefined;
  /** Channel versions, deploys and states (available after start). */
  channels: ChannelService | undefined;

  constructor(private readonly options: EngineOptions) {
    this.log = options.log ?? createLogger({ level: options.config.LOG_LEVEL });
  }

  start(): Promise<EngineAddresses> {
    this.starting ??= this.doStart().catch(async (err: unknown) => {
      await this.close();
      throw err;
    });
    return this.starting;
  }

  /**
   * Store, Redis and queues, workers and relay, intake, channel service and replays, then (ingest
   * roles) HTTP and sources, the channels, and listening.
   */
  private async doStart(): Promise<EngineAddresses> {
    const { config, connectors } = this.options;
    const env = this.options.env ?? process.env;
    const shipped = this.options.transforms ?? shippedTransforms;
    // The registry intake, routing and replay read: the shipped transforms, and each data mapping a deployed channel pins.
    const transforms = new Map(shipped);
    const log = this.log;
    const tracing = openTracing(config, { log, graceMs: config.SHUTDOWN_GRACE_MS }, this.cleanups);
    const security = this.options.security ?? loadSecurityConfig(env);
    const allowedHosts = parseAllowList(security.ALLOWED_DESTINATION_HOSTS);
    assertEgressHosts({ channels: this.options.channels, env, config }, allowedHosts);
    const { store, keyring, hasher } = await openStore(config, security, this.cleanups);
    this.store = store;
    const queues = await openQueues(config, this.cleanups);
    const { redis, deliveryQueues } = queues;
    const [runsWorkers, runsSources] = [config.SWITCHBOARD_ROLE !== 'ingest', config.SWITCHBOARD_ROLE !== 'worker'];
    const channelMap = new Map<string, ChannelDefinition>();
    const flowSet = { flows: this.options.flows ?? [], runsWorkers, connectors, env, connection: queues.connection };
    const flows = await openFlows({ config, store, log, redis, counters: this.flowCounters, ...flowSet }, this.cleanups);
    this.relay = startWorkers({ config, store, log, transforms, channels: channelMap, ...queues, runsWorkers, flows }, this.cleanups);
    // Intake and delivery workers in one process: deliveries take what intake just stored from memory.
    const handoff = runsWorkers && runsSources ? new DeliveryHandoff() : undefined;
    const { intake, corrections } = buildIntake(
      {
        store,
        transforms,
        deliveryQueues,
        ...(handoff ? { handoff } : {}),
        log,
        storeTimeoutMs: config.STORE_TIMEOUT_MS,
        flows: flows.starter,
        channels: channelMap,
      },
      config.INTAKE_ACK_ONLY,
    );
    const definitions = { keyring, shipped, channelMap, env, allowedHosts, connectors };
    const opened = await openDefinitions({ ...definitions, store, transforms, log, runner: this });
    ({ audit: this.audit, channelService: this.channels } = opened);
    const replayer = createReplayer({ config, store, channels: channelMap, transforms, deliveryQueues, log }, this.cleanups);
    // Source kinds close after the HTTP server (cleanups run in reverse): requests awaiting a verdict drain first.
    const sourceKinds = new Map<string, SourceKind>();
    this.cleanups.push({ name: 'source kinds', run: () => Promise.all([...sourceKinds.values()].map((k) => k.close())) });
    this.cleanups.push({ name: 'channels', run: () => Promise.all([...this.runtimes.values()].map((r) => r.close())) });
    if (runsSources) {
      const { routeQueue } = queues;
      const correct = corrections.correct.bind(corrections);
      const parts = { ...opened, connectors, replayer, security, deliveryQueues, routeQueue, channelMap, flows, correct };
      const http = await this.serve({ store, redis, log, transforms: shipped, ...parts });
      for (const s of connectors.sources) sourceKinds.set(s.kind, await s.start({ intake, log, config, redis, http, tracing }));
    }
    await openRetention({ ...opened, ...queues, config, store, log, runsWorkers, http: this.http }, this.cleanups);
    const roles = { runsWorkers, runsSources, encrypting: Boolean(keyring), hashing: Boolean(hasher), ...(handoff ? { handoff } : {}) };
    const shared = { config, store, log, redis, connection: queues.connection, deliveryQueues, connectors, sourceKinds };
    this.runtimeDeps = { ...shared, ...roles, channels: channelMap, ...(flows.pseudonymKey ? { pseudonymKey: flows.pseudonymKey } : {}) };
    await this.runChannels(opened.channelService);
    // After the channels run: a replay resumed here routes by the deployed channels.
    replayer.start();
    await this.startAlerts(security, env, flows);
    return this.listen(security);
  }

  /** Alerts (engine/ops/alerts/open-alerts.ts): rules from alerts/, their API where HTTP is served, the evaluator where workers run. */
  private async startAlerts(security: SecurityConfig, env: NodeJS.ProcessEnv, flows: OpenedFlows): Promise<void> {
    const flowIds = () => flows.catalog.all().map((f) => f.definition.id);
    const o = { ...this.runtimeDeps!, audit: this.audit!, http: this.http, flowIds, httpsCertFile: security.HTTPS_CERT_FILE, env };
    await openAlerts({ ...o, files: this.options.alertRules ?? [] }, this.cleanups);
  }

  /** The admin API and its sign-in (ingest roles): built, not yet listening, so sources can add routes. */
  private async serve(o: Omit<AdminServerOptions, 'audit' | 'announce' | 'mllpPorts'>): Promise<FastifyInstance> {
    const announce = this.options.announce ?? ((line: string) => process.stderr.write(`${line}\n`));
    const { auth, http } = await buildAdminServer({ ...o, audit: this.audit!, announce, mllpPorts: () => this.mllpPorts() }, this.cleanups);
    this.auth = auth;
    this.http = http;
    return http;
  }

  /** Imports changed channel files, runs what the store says is deployed, and follows deploys made elsewhere. */
  private async runChannels(channelService: ChannelService): Promise<void> {
    await channelService.syncFiles(this.options.channels);
    await channelService.reconcile({ strict: true });
    const sync = setInterval(() => void channelService.reconcile().catch(() => undefined), this.options.config.RELAY_INTERVAL_MS);
    sync.unref();
    this.cleanups.push({ name: 'channel sync', run: async () => clearInterval(sync) });
  }

  /** Listens on HTTP_HOST:HTTP_PORT where this process serves HTTP; the addresses it took. */
  private async listen(security: SecurityConfig): Promise<EngineAddresses> {
    const { config } = this.options;
    const mllp = this.mllpPorts();
    if (!this.http) {
      const { METRICS_HOST: host, METRICS_PORT: port } = config;
      const metrics = port === undefined ? undefined : await this.listenMetrics(host, port, security);
      this.log.info('engine started', { role: config.SWITCHBOARD_ROLE, mllp, http: null, metrics: metrics ?? null });
      return { http: null, mllp, ...(metrics ? { metrics } : {}) };
    }
    await this.http.listen({ host: config.HTTP_HOST, port: config.HTTP_PORT });
    const address = this.http.server.address();
    const http = { host: config.HTTP_HOST, port: typeof address === 'object' && address ? address.port : config.HTTP_PORT };
    this.log.info('engine started', { role: config.SWITCHBOARD_ROLE, mllp, http });
    return { http, mllp };
  }

  /**
   * Starts `channel` in this process, replacing the running version of the same id (its listener
   * and workers close first; messages already stored keep their deliveries). A FHIR channel is
   * served from then on (its routes read the deployed definition per request, see FhirSources).
   * Called at start for every deployed channel, by the channels API on deploy and rollback, and by
   * the channel sync for deploys made in another process.
   */
  async deploy(channel: ChannelDefinition, version: number): Promise<void> {
    const deps = this.runtimeDeps;
    if (!deps) throw new SwitchboardError('CONFLICT', 'the engine is not started');
    if (deps.encrypting && !deps.hashing && channel.destinations.some((d) => d.ordering)) {
      throw new SwitchboardError(
        'CONFIG_INVALID',
        `channel ${channel.id} has an ordered destination and messages are encrypted: set SEARCH_HASH_KEY so order keys are stored hashed`,
      );
    }
    await this.undeploy(channel.id);
    const runtime = new ChannelRuntime({ ...deps, channel, version });
    this.runtimes.set(channel.id, runtime);
    deps.channels.set(channel.id, channel);
    try {
      await runtime.start();
    } catch (err) {
      await this.undeploy(channel.id);
      throw err;
    }
  }

  /** Stops a channel's listener and workers; its stored messages stay, and are delivered again once it is deployed. */
  async undeploy(channelId: string): Promise<void> {
    const runtime = this.runtimes.get(channelId);
    this.runtimes.delete(channelId);
    this.runtimeDeps?.channels.delete(channelId);
    await runtime?.close();
  }

  async pause(channelId: string): Promise<boolean> {
    const runtime = this.runtimes.get(channelId);
    await runtime?.pause();
    return runtime !== undefined;
  }

  async resume(channelId: string): Promise<boolean> {
    const runtime = this.runtimes.get(channelId);
    await runtime?.resume();
    return runtime !== undefined;
  }

  running(): ReadonlyMap<string, { version: number; paused: boolean }> {
    return new Map([...this.runtimes].map(([id, r]) => [id, { version: r.version, paused: r.paused }]));
  }

  /** Paths on this process's HTTP server where running channels take messages (FHIR: `/fhir/<id>`). */
  httpSources(): string[] {
    return [...this.runtimes.values()].flatMap((r) => (r.httpPath === undefined ? [] : [r.httpPath]));
  }

  /** The worker's GET /metrics listener (startMetricsListener, for API tokens with `metrics:read`), closed with the engine. */
  private async listenMetrics(host: string, port: number, security: SecurityConfig): Promise<{ host: string; port: number }> {
    const auth = new AuthService({ store: this.store!, audit: this.audit!, config: security, announce: () => undefined });
    const listener = await startMetricsListener({ host, port, authorize: apiTokenAuthorizer(auth), flows: this.flowCounters });
    this.cleanups.push({ name: 'metrics listener', run: () => listener.close() });
    return { host, port: listener.port };
  }

  /** MLLP port of each running channel listener. */
  mllpPorts(): Record<string, number> {
    return Object.fromEntries([...this.runtimes].filter(([, r]) => r.port !== undefined).map(([id, r]) => [id, r.port!]));
  }

  /** Stops in reverse start order; each step in its own try/catch; one promise for every caller. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      while (this.cleanups.length > 0) {
        const step = this.cleanups.pop()!;
        try {
          await step.run();
        } catch (err) {
          this.log.warn('shutdown step failed', { step: step.name, error: (err as Error).name });
        }
      }
    })();
    return this.closing;
  }
}
