import { Queue, type ConnectionOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ChannelDefinition } from './channel.ts';
import type { EngineConfig } from './config/config.ts';
import { parseConnectorConfig } from './connector-config.ts';
import type { DestinationConnector } from './connector.ts';
import { DeliveryWorker } from './delivery-worker.ts';
import { SwitchboardError } from './errors.ts';
import type { Hl7Intake } from './intake.ts';
import type { FhirSource, FhirSources } from './fhir/fhir-sources.ts';
import type { Logger } from './log.ts';
import type { DeliveryHandoff } from './queue/handoff.ts';
import { destinationScripts } from './queue/destination-scripts.ts';
import { deliveryQueueName, type DeliveryJobData } from './queue/queues.ts';
import type { Store } from './store/store.ts';
import { MllpSource } from '../connectors/mllp/mllp.source.ts';
import { findDestinationConnector } from '../connectors/index.ts';

export interface ChannelRuntimeOptions {
  channel: ChannelDefinition;
  /** The stored version this runtime runs. */
  version: number;
  config: EngineConfig;
  store: Store;
  log: Logger;
  redis: Redis;
  connection: ConnectionOptions;
  /** The engine's map of destination queues, shared with intake, the route worker, the relay and replay. */
  deliveryQueues: Map<string, Queue<DeliveryJobData>>;
  intake: Hl7Intake;
  /** Where a FHIR channel's source is served from (the HTTP server's FHIR routes read it). */
  fhirSources: FhirSources;
  pseudonymKey?: Buffer;
  /** Role `all` only: what intake hands to this process's delivery workers. */
  handoff?: DeliveryHandoff;
  runsWorkers: boolean;
  runsSources: boolean;
}

/**
 * What one deployed channel runs in this process: a connector, queue and delivery worker per
 * destination (worker roles), and its source (ingest roles): an MLLP listener, or its entry in
 * FhirSources, which the HTTP server's FHIR routes serve (see fhir-rest.source.ts). The engine starts one per deployed channel at start and on
 * deploy, and closes it on undeploy or stop. `pause()` closes the listener (senders queue on their
 * side) and holds deliveries; `resume()` undoes it. Every step is bounded by SHUTDOWN_GRACE_MS.
 */
export class ChannelRuntime {
  private readonly cleanups: { name: string; run: () => Promise<unknown> }[] = [];
  private readonly workers: DeliveryWorker[] = [];
  private source: MllpSource | undefined;
  private fhir: FhirSource | undefined;
  private closing: Promise<void> | undefined;
  /** The MLLP port listened on; undefined for FHIR channels, worker roles and while paused. */
  port: number | undefined;
  paused = false;

  constructor(private readonly o: ChannelRuntimeOptions) {}

  get version(): number {
    return this.o.version;
  }

  async start(): Promise<void> {
    const { channel, config, store, log } = this.o;
    for (const spec of channel.destinations) {
      const definition = findDestinationConnector(spec.kind);
      if (!definition) throw new SwitchboardError('CONFIG_INVALID', `channel ${channel.id}: unknown destination kind '${spec.kind}'`);
      if (spec.dataPolicy?.pseudonymise && !this.o.pseudonymKey) {
        throw new SwitchboardError('CONFIG_INVALID', `channel ${channel.id} destination ${spec.id} pseudonymises patients: set PSEUDONYM_KEY (32+ random bytes, base64)`);
      }
      const shared = destinationScripts(this.o.redis, config.QUEUE_PREFIX, spec.id);
      const connector: DestinationConnector = definition.create(parseConnectorConfig(definition, spec.config, `channel ${channel.id} destination ${spec.id}`), { log, shared });
      this.cleanups.push({ name: `destination ${spec.id}`, run: () => connector.close() });
      const queue = new Queue<DeliveryJobData>(deliveryQueueName(spec.id), { connection: this.o.redis, prefix: config.QUEUE_PREFIX });
      this.o.deliveryQueues.set(spec.id, queue);
      this.cleanups.push({ name: `delivery queue ${spec.id}`, run: () => (this.o.deliveryQueues.delete(spec.id), queue.close()) });
      const worker = new DeliveryWorker({
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

  private async listen(): Promise<void> {
    const s = this.o.channel.source;
    if (!this.o.runsSources) return;
    if (s.kind === 'fhir') {
      this.fhir ??= this.o.fhirSources.open({ ...this.o.channel, source: s });
      this.fhir.paused = false;
      return;
    }
    const source = new MllpSource({
      channel: this.o.channel,
      intake: this.o.intake,
      log: this.o.log,
      host: s.host,
      port: Number(s.port),
      maxFrameBytes: Number(s.maxFrameBytes ?? 1024 * 1024),
      idleTimeoutMs: Number(s.idleTimeoutMs ?? 300_000),
      frameTimeoutMs: Number(s.frameTimeoutMs ?? this.o.config.MLLP_FRAME_TIMEOUT_MS),
      maxConnections: Number(s.maxConnections ?? this.o.config.MLLP_MAX_CONNECTIONS),
      maxConnectionsPerAddress: Number(s.maxConnectionsPerAddress ?? this.o.config.MLLP_MAX_CONNECTIONS_PER_ADDRESS),
      maxBufferedBytes: Number(s.maxBufferedBytes ?? this.o.config.MLLP_MAX_BUFFERED_BYTES),
      ...(s.tls ? { tls: s.tls } : {}),
    });
    this.source = source;
    this.port = await source.start();
  }

  /** Stops taking messages (the listener closes; a FHIR source answers 503) and holds deliveries. */
  async pause(): Promise<void> {
    this.paused = true;
    if (this.fhir) this.fhir.paused = true;
    const source = this.source;
    this.source = undefined;
    this.port = undefined;
    await source?.close(this.o.config.SHUTDOWN_GRACE_MS);
    if (this.o.runsWorkers) await Promise.all(this.workers.map((w) => w.pause()));
  }

  async resume(): Promise<void> {
    this.paused = false;
    if (this.o.runsWorkers) for (const w of this.workers) w.resume();
    if (!this.source) await this.listen();
  }

  /** Listener first, then workers, queues and connectors in reverse order; one promise for every caller. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.fhir) this.o.fhirSources.close(this.fhir);
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
