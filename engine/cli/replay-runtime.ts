import type { ConnectorRegistry } from '../connector.ts';
import { AuditLog } from '../audit/audit-log.ts';
import { openMappings, type Mappings } from '../mappings/open-mappings.ts';
import { Queue } from 'bullmq';
import type { ChannelDefinition } from '../channel.ts';
import { ChannelState, ChannelStore } from '../channels/channel-store.ts';
import { loadConfig } from '../config/config.ts';
import { silentLogger } from '../log.ts';
import { DeliveryQueues } from '../queue/delivery-queues.ts';
import { deliveryQueueName, producerConnection, type DeliveryJobData } from '../queue/queues.ts';
import { Replayer } from '../replay/replayer.ts';
import { transforms } from '../../transforms/index.ts';
import type { CliContext } from './cli-context.ts';

/** A Replayer of the command line, and how to let it go. */
export interface CliReplayer {
  replayer: Replayer;
  /** REPLAY_STALE_MS: a running replay whose heartbeat is older has lost its process. */
  staleMs: number;
  /** Waits up to SHUTDOWN_GRACE_MS for a run's step, then closes the queues and Redis. */
  close(): Promise<void>;
}

/**
 * The channels deployed or paused in the store, at their deployed version, as stored: a replay
 * reads only their routing (filter, transforms, destinations and models), so sealed secrets stay
 * sealed and `${VAR}` references are left as written.
 */
async function deployedChannels(channelStore: ChannelStore, mappings: Mappings): Promise<Map<string, ChannelDefinition>> {
  const channels = new Map<string, ChannelDefinition>();
  for (const s of await channelStore.allStates()) {
    if (s.state === ChannelState.undeployed) continue;
    const version = await channelStore.version(s._id, s.version);
    if (version) channels.set(s._id, await mappings.forChannels.runnable(version.definition));
  }
  return channels;
}

/**
 * The engine's Replayer, built in the command's process over the store's deployed channels and the
 * shipped transforms (transforms/index.ts), as an engine built without custom transforms has them.
 * With `queues`, it queues replayed deliveries on Redis (REDIS_URL, QUEUE_PREFIX) for the engines'
 * delivery workers; without (a dry run), it touches no queue. It never takes over other replays
 * (start() is not called); a replay it leaves unfinished is resumed by an engine after
 * REPLAY_STALE_MS. CONFIG_INVALID for bad settings.
 */
export async function openCliReplayer(
  ctx: CliContext,
  env: NodeJS.ProcessEnv,
  o: { queues: boolean; connectors: ConnectorRegistry },
): Promise<CliReplayer> {
  const config = loadConfig({ ...env, REDIS_URL: o.queues ? env.REDIS_URL : 'unused: a dry run queues nothing' });
  const registry = new Map(transforms);
  const channelStore = new ChannelStore(ctx.store, o.connectors);
  const mappings = await openMappings({ store: ctx.store, audit: new AuditLog(ctx.store), registry, channels: channelStore });
  const channels = await deployedChannels(channelStore, mappings);
  const redis = o.queues ? producerConnection(config.REDIS_URL) : undefined;
  const deliveryQueues = new DeliveryQueues();
  if (redis)
    for (const c of channels.values())
      for (const d of c.destinations) {
        const queue = new Queue<DeliveryJobData>(deliveryQueueName(c.id, d.id), { connection: redis, prefix: config.QUEUE_PREFIX });
        deliveryQueues.set({ channelId: c.id, destinationId: d.id }, queue);
      }
  const replayer = new Replayer({
    store: ctx.store,
    channels,
    transforms: registry,
    deliveryQueues,
    log: silentLogger(),
    resumeIntervalMs: config.RELAY_INTERVAL_MS,
    staleMs: config.REPLAY_STALE_MS,
  });
  return {
    replayer,
    staleMs: config.REPLAY_STALE_MS,
    close: async () => {
      await replayer.close(config.SHUTDOWN_GRACE_MS);
      await Promise.all(deliveryQueues.entries().map((e) => e.queue.close()));
      await redis?.quit().catch(() => redis.disconnect());
    },
  };
}
