import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { AuditLog } from '../../audit/audit-log.ts';
import { CheckpointSigner, checkpointVerifierOf } from '../../audit/audit-checkpoint.ts';
import type { ChannelDefinition } from '../../channel.ts';
import type { EngineConfig } from '../../config/config.ts';
import type { Cleanup } from '../../engine-start.ts';
import { SwitchboardError } from '../../errors.ts';
import { retentionRoutes } from '../../http/retention.routes.ts';
import type { Logger } from '../../log.ts';
import { RedisLease } from '../../queue/lease.ts';
import type { Store } from '../../store/store.ts';
import { ArchiveWriter } from './archive-writer.ts';
import { Pruner, type PrunerSettings } from './pruner.ts';
import type { ChannelRetention } from './retention-rules.ts';

/** What the channels' own retention is read from: the channel store's states and versions (channels/channel-store.ts). */
export interface ChannelVersions {
  allStates(): Promise<{ _id: string; version: number }[]>;
  version(channelId: string, version: number): Promise<{ definition: ChannelDefinition } | undefined>;
}

/**
 * Each channel's `retention` block, from the version its state names (deployed, paused, or the last
 * deployed of an undeployed channel, whose stored messages still follow it). Channels unknown to the
 * store follow the global settings.
 */
export async function channelRetentions(channels: ChannelVersions): Promise<Map<string, ChannelRetention | undefined>> {
  const out = new Map<string, ChannelRetention | undefined>();
  for (const s of await channels.allStates()) out.set(s._id, (await channels.version(s._id, s.version))?.definition.retention);
  return out;
}

/** The pruner's settings from the engine's (retention-config.ts). */
export function prunerSettings(config: EngineConfig): PrunerSettings {
  return {
    deliveredDays: config.RETENTION_DELIVERED_DAYS,
    failedDays: config.RETENTION_FAILED_DAYS,
    intervalMs: config.PRUNE_INTERVAL_MS,
    batch: config.PRUNE_BATCH,
    pauseMs: config.PRUNE_PAUSE_MS,
    restFactor: config.PRUNE_REST_FACTOR,
    compact: config.PRUNE_COMPACT,
    archiveDir: config.ARCHIVE_DIR,
    auditDays: config.AUDIT_RETENTION_DAYS,
    flowDays: config.RETENTION_FLOW_DAYS,
    historyDays: config.RETENTION_HISTORY_DAYS,
  };
}

/** The checkpoint signer, CONFIG_INVALID when the audit log is kept by days without one. */
export function checkpointSigner(config: EngineConfig): CheckpointSigner | undefined {
  const signer = config.AUDIT_SIGNING_KEY ? CheckpointSigner.fromBase64(config.AUDIT_SIGNING_KEY) : undefined;
  if (config.AUDIT_RETENTION_DAYS && !signer)
    throw new SwitchboardError('CONFIG_INVALID', 'AUDIT_RETENTION_DAYS needs AUDIT_SIGNING_KEY (switchboard audit keygen makes one)');
  return signer;
}

/** The pruner on its lease; one per deployment passes at a time, and a dead holder hands over after a minute. */
export function createPruner(o: {
  config: EngineConfig;
  store: Store;
  audit: AuditLog;
  redis: Redis;
  log: Logger;
  channels: ChannelVersions;
}): Pruner {
  const { config } = o;
  const lease = new RedisLease({ redis: o.redis, key: `${config.QUEUE_PREFIX}:retention:lease`, ttlMs: 60_000 });
  return new Pruner({
    store: o.store,
    audit: o.audit,
    log: o.log,
    settings: prunerSettings(config),
    channels: () => channelRetentions(o.channels),
    lease,
    signer: checkpointSigner(config),
    checkMs: Math.min(config.PRUNE_INTERVAL_MS, config.RELAY_INTERVAL_MS),
  });
}

/**
 * Retention in the engine (issue 25), called from engine.ts once the store, the audit log, the
 * channel store, Redis and (ingest roles) the HTTP server exist: the audit log learns the key that
 * checks its checkpoints; the API routes are added where this process serves HTTP; the pruner is
 * made, registered for shutdown and, where workers run, started (its first look comes after
 * RELAY_INTERVAL_MS; it reads the channels' rules from the channel store at each run, not from what
 * this process runs). CONFIG_INVALID for AUDIT_RETENTION_DAYS without AUDIT_SIGNING_KEY, or an
 * ARCHIVE_DIR that cannot be written (checked where workers run).
 */
export async function openRetention(
  o: {
    config: EngineConfig;
    store: Store;
    audit: AuditLog;
    redis: Redis;
    log: Logger;
    channelStore: ChannelVersions;
    runsWorkers: boolean;
    http?: FastifyInstance | undefined;
  },
  cleanups: Cleanup[],
): Promise<Pruner> {
  o.audit.useCheckpointKey(checkpointVerifierOf(o.config));
  if (o.runsWorkers && o.config.ARCHIVE_DIR) await ArchiveWriter.check(o.config.ARCHIVE_DIR);
  const pruner = createPruner({ ...o, channels: o.channelStore });
  cleanups.push({ name: 'pruner', run: () => pruner.close() });
  o.http?.register(retentionRoutes, { pruner, store: o.store });
  if (o.runsWorkers) pruner.start();
  return pruner;
}
