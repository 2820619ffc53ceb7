import { Queue, type ConnectionOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ChannelDefinition } from './channel.ts';
import type { EngineConfig } from './config/config.ts';
import { parseConnectorConfig } from './connector-config.ts';
import type { ConnectorRegistry, DestinationConnector, SourceConnector, SourceKind } from './connector.ts';
import { DeliveryWorker } from './delivery-worker.ts';
import { SwitchboardError } from './errors.ts';
import type { Logger } from './log.ts';
import type { DeliveryHandoff } from './queue/handoff.ts';
import { destinationScripts } from './queue/destination-scripts.ts';
import type { DeliveryQueues } from './queue/delivery-queues.ts';
import { deliveryQueueName, type DeliveryJobData } from './queue/queues.ts';
import type { Store } from './store/store.ts';

export interface ChannelRuntimeOptions {
  channel: ChannelDefinition;
  /** The stored version this runtime runs. */
  version: number;
  config: EngineConfig;
  store: Store;
  log: Logger;
  redis: Redis;
  connection: ConnectionOptions;
  /** The engine's delivery queues, shared with intake, the route worker, the relay and replay. */
  deliveryQueues: DeliveryQueues;
  connectors: ConnectorRegistry;
  /** The source kinds started in this process (ingest roles), by kind. */
  sourceKinds: ReadonlyMap<string, SourceKind>;
  pseudonymKey?: Buffer;
  /** Role `all` only: what intake hands to this process's delivery workers. */
  handoff?: DeliveryHandoff;
  runsWorkers: boolean;
  runsSources: boolean;
}

/**
 * What one deployed channel runs in this process: a connector, queue and delivery worker per
 * destination (worker roles), and its source (ingest roles), made by its kind (connector.ts
 * SourceKind) from the channel's `source` settings. The engine starts one per deployed channel at
 * start and on deploy, and closes it on undeploy or stop. `pause()` pauses the source (a listener
 * closes, HTTP answers 503) and holds deliveries; `resume()` undoes it. Every step is bounded by
 * SHUTDOWN_GRACE_MS.
 */
export class ChannelRuntime {
  private readonly cleanups: { name: string; run: () => Promise<unknown> }[] = [];
  private readonly workers: DeliveryWorker[] = [];
  private source: SourceConnector | undefined;
  private closing: Promise<void> | undefined;
  /** The port the source listens on; undefined for HTTP-served sources, worker roles and while paused. */
  port: number | undefined;
  /** Where the source is served on the HTTP server (FHIR: `/fhir/<id>`); undefined for listeners and worker roles. */
  httpPath: string | undefined;
  paused = false;

  constructor(private readonly o: ChannelRuntimeOptions) {}

  get version(): number {
    return this.o.version;
  }

  async start(): Promise<void> {
    const { channel, config, store, log } = this.o;
    for (const spec of channel.destinations) {
      const definition = this.o.connectors.destination(spec.kind);
      if (!definition) throw new SwitchboardError('CONFIG_INVALID', `channel ${channel.id}: unknown destination kind '${spec.kind}'`);
      if (spec.dataPolicy?.pseudonymise && !this.o.pseudonymKey) {
        throw new SwitchboardError(
          'CONFIG_INVALID',
          `channel ${channel.id} destination ${spec.id} pseudonymises patients: set PSEUDONYM_KEY (32+ random bytes, base64)`,
        );
      }
      const target = { channelId: channel.id, destinationId: spec.id };
      const shared = destinationScripts(this.o.redis, config.QUEUE_PREFIX, target);
      const connector: DestinationConnector = definition.create(
        parseConnectorConfig(definition, spec.config, `channel ${channel.id} destination ${spec.id}`),
        { log, shared },
      );
      this.cleanups.push({ name: `destination ${spec.id}`, run: () => connector.close() });
      const queue = new Queue<DeliveryJobData>(deliveryQueueName(channel.id, spec.id), {
        connection: this.o.redis,
        prefix: config.QUEUE_PREFIX,
      });
      this.o.deliveryQueues.set(target, queue);
      this.cleanups.push({ name: `delivery queue ${spec.id}`, run: () => (this.o.deliveryQueues.delete(target, queue), queue.close()) });
      const worker = new DeliveryWorker({
        channelId: channel.id,
        spec,
        definition,
        connector,
        store,
        log,
        ...(this.o.pseudonymKey ? { pseudonymKey: this.o.pseudonymKey } : {}),
        ...(this.o.handoff ? { handoff: this.o.handoff } : {}),
        worker: { connection: this.o.connection, prefix: config.QUEUE_PREFIX, concurrency: config.DELIVERY_CONCURRENCY },
      });
      this.cleanups.push({ name: `delivery worker ${spec.id}`, run: () => worker.close(config.SHUTDOWN_GRACE_MS) });
      this.workers.push(worker);
      if (this.o.runsWorkers) worker.start();
    }
    await this.listen();
  }

  /** Makes the channel's source (ingest roles) and starts it. */
  private async listen(): Promise<void> {
    const { channel, connectors, sourceKinds } = this.o;
    if (!this.o.runsSources) return;
    const { kind, ...settings } = channel.source;
    const definition = connectors.source(kind);
    const sourceKind = sourceKinds.get(kind);
    if (!definition || !sourceKind) throw new SwitchboardError('CONFIG_INVALID', `channel ${channel.id}: unknown source kind '${kind}'`);
    this.source = sourceKind.create(
      channel,
      parseConnectorConfig(definition, settings, `channel ${channel.id} source`) as Record<string, unknown>,
    );
    const started = await this.source.start();
    this.port = started.port;
    this.httpPath = started.httpPath;
  }

  /** Stops taking messages (a listener closes; an HTTP-served source answers 503) and holds deliveries. */
  async pause(): Promise<void> {
    this.paused = true;
    this.port = undefined;
    await this.source?.pause(this.o.config.SHUTDOWN_GRACE_MS);
    if (this.o.runsWorkers) await Promise.all(this.workers.map((w) => w.pause()));
  }

  async resume(): Promise<void> {
    this.paused = false;
    if (this.o.runsWorkers) for (const w of this.workers) w.resume();
    const started = await this.source?.resume();
    this.port = started?.port;
  }

  /** Source first, then workers, queues and connectors in reverse order; one promise for every caller. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        await this.source?.close(this.o.config.SHUTDOWN_GRACE_MS);
      } catch (err) {
        this.o.log.warn('shutdown step failed', { step: `source ${this.o.channel.id}`, error: (err as Error).name });
      }
      while (this.cleanups.length > 0) {
        const step = this.cleanups.pop()!;
        try {
          await step.run();
        } catch (err) {
          this.o.log.warn('shutdown step failed', { step: step.name, error: (err as Error).name });
        }
      }
    })();
    return this.closing;
  }
}
