import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { ChannelDefinition } from './channel.ts';
import type { EngineConfig } from './config/config.ts';
import { interpolateEnv } from './config/interpolate.ts';
import type { Intake } from './connector.ts';
import type { Cleanup, OpenedFlows } from './engine-start.ts';
import { AuditLog } from './audit/audit-log.ts';
import { ChannelService, type ChannelRunner } from './channels/channel-service.ts';
import { ChannelStore } from './channels/channel-store.ts';
import type { ConnectorRegistry } from './connector.ts';
import { ChannelPreviewer } from './mappings/channel-preview.ts';
import { openMappings } from './mappings/open-mappings.ts';
import type { Keyring } from './security/encryption.ts';
import { FlowOperations } from './flows/flow-operations.ts';
import { ackOnlyHl7 } from './intake/ack-only.ts';
import { Corrections } from './intake/corrections.ts';
import { FhirIntake } from './intake/fhir-intake.ts';
import { Hl7Intake } from './intake/hl7-intake.ts';
import { StoreAndQueue, type StoreAndQueueOptions } from './intake/store-and-queue.ts';
import type { Logger } from './log.ts';
import type { DeliveryQueues } from './queue/delivery-queues.ts';
import { JOB_OPTIONS, routeJobId, type DeliveryJobData, type RouteJobData } from './queue/queues.ts';
import { buildHttpServer, type HttpServerOptions } from './http/server.ts';
import { AuthService } from './security/auth-service.ts';
import { Replayer } from './replay/replayer.ts';
import { assertHostsAllowed } from './security/host-allowlist.ts';
import { assertAlertSettings } from './ops/alerts/alert-config.ts';
import type { Store } from './store/store.ts';
import type { Transform } from '../transforms/dsl/define-transform.ts';

/**
 * What the engine's start builds from its parts (engine.ts): intake, the host allow-list check of
 * the channels it was given, the replayer. Each function is pure wiring; none starts work.
 */

/**
 * Intake as sources see it (connector.ts Intake): HL7v2 and FHIR front ends over one
 * store-and-queue core; with `ackOnly` (INTAKE_ACK_ONLY, benchmarks) the HL7v2 one answers without storing.
 * Corrections (edit and resend) enter through the same core, for the deployed `channels`.
 */
export function buildIntake(
  o: StoreAndQueueOptions & { transforms: ReadonlyMap<string, Transform>; channels: ReadonlyMap<string, ChannelDefinition> },
  ackOnly: boolean,
): { intake: Intake; corrections: Corrections } {
  const core = new StoreAndQueue(o);
  const hl7 = new Hl7Intake({ core, transforms: o.transforms, log: o.log });
  const fhir = new FhirIntake({ core, ...o });
  const intake: Intake = {
    hl7: ackOnly ? ackOnlyHl7(o.log) : (channel, bytes, opts) => hl7.submit(channel, bytes, opts),
    fhir: (channel, resource, opts) => fhir.submit(channel, resource, opts),
    fhirTransaction: (channel, entries, opts) => fhir.submitTransaction(channel, entries, opts),
  };
  return { intake, corrections: new Corrections({ core, ...o }) };
}

/**
 * CONFIG_INVALID when a host the engine would send to is off the allow-list: a destination of the
 * given channels (placeholders resolved from `env`), the alert webhook or the SMTP server; or when
 * the alert notifications are half configured (assertAlertSettings).
 */
export function assertEgressHosts(
  o: { channels: readonly ChannelDefinition[]; env: NodeJS.ProcessEnv; config: EngineConfig },
  allow: readonly string[],
): void {
  assertAlertSettings(o.config, allow);
  const { channels, env } = o;
  for (const channel of channels.map((c) => interpolateEnv(c, env, `channel ${c.id}`))) {
    for (const spec of channel.destinations) {
      assertHostsAllowed({ where: `channel ${channel.id} destination ${spec.id}`, config: spec.config, allow });
    }
  }
}

/** The replayer (not started: it resumes replays once the channels run), registered for shutdown. */
export function createReplayer(
  o: {
    config: EngineConfig;
    store: Store;
    channels: ReadonlyMap<string, ChannelDefinition>;
    transforms: ReadonlyMap<string, Transform>;
    deliveryQueues: DeliveryQueues;
    log: Logger;
  },
  cleanups: Cleanup[],
): Replayer {
  const { config, ...rest } = o;
  const replayer = new Replayer({ ...rest, resumeIntervalMs: config.RELAY_INTERVAL_MS, staleMs: config.REPLAY_STALE_MS });
  cleanups.push({ name: 'replays', run: () => replayer.close(config.SHUTDOWN_GRACE_MS) });
  return replayer;
}

export type AdminServerOptions = Omit<HttpServerOptions, 'auth' | 'channels' | 'reroute' | 'flows'> & {
  routeQueue: Queue<RouteJobData>;
  channelMap: ReadonlyMap<string, ChannelDefinition>;
  /** The flows' parts, for their API's operations. */
  flows: OpenedFlows;
  /** Where the one-time setup token is shown (never the log). */
  announce: (line: string) => void;
};

/**
 * The sign-in service and the admin API's HTTP server (ingest roles), built, not listening; the
 * server is registered for shutdown. Re-routing sends a stored message back through the route queue.
 */
export async function buildAdminServer(o: AdminServerOptions, cleanups: Cleanup[]): Promise<{ auth: AuthService; http: FastifyInstance }> {
  const { store, security, audit, routeQueue, channelMap, announce, flows, ...rest } = o;
  const auth = new AuthService({ store, audit, config: security, announce });
  await auth.start();
  const reroute = async (id: string): Promise<boolean> => {
    if (!(await store.messages.resetForReroute(id))) return false;
    await routeQueue.add('route', { messageId: id }, { ...JOB_OPTIONS, jobId: routeJobId(id) });
    return true;
  };
  const { catalog, queues, counters, pseudonymKey } = flows;
  const operations = new FlowOperations({ catalog, store, queues, counters, audit, log: o.log, ...(pseudonymKey ? { pseudonymKey } : {}) });
  const channels = () => [...channelMap.values()];
  const http = buildHttpServer({ ...rest, store, security, audit, auth, reroute, channels, flows: { catalog, operations, counters } });
  cleanups.push({ name: 'http', run: () => http.close() });
  return { auth, http };
}

/** The audit log, the channel store and service (versions, deploys, states), the data mappings, lookup tables and the draft previewer. */
export async function openDefinitions(o: {
  store: Store;
  keyring: Keyring | undefined;
  transforms: Map<string, Transform>;
  shipped: ReadonlyMap<string, Transform>;
  channelMap: ReadonlyMap<string, ChannelDefinition>;
  env: NodeJS.ProcessEnv;
  allowedHosts: readonly string[];
  connectors: ConnectorRegistry;
  log: Logger;
  runner: ChannelRunner;
}) {
  const { connectors, env, allowedHosts } = o;
  const audit = new AuditLog(o.store);
  await audit.start();
  const channelStore = new ChannelStore(o.store, connectors, o.keyring);
  await channelStore.start();
  const mappings = await openMappings({ store: o.store, audit, registry: o.transforms, channels: channelStore });
  const channelService = new ChannelService({
    store: channelStore,
    audit,
    runner: o.runner,
    connectors,
    transforms: o.shipped,
    mappings: mappings.forChannels,
    env,
    allowedHosts,
    log: o.log,
  });
  const previewer = new ChannelPreviewer({
    store: o.store,
    transforms: o.transforms,
    runnable: (c) => mappings.forChannels.runnable(c),
    deployed: (id) => o.channelMap.get(id),
  });
  return { audit, channelStore, channelService, mappings: mappings.service, tableService: mappings.tables, previewer };
}
