import type { ChannelDefinition } from '../channel.ts';
import { AuditAction, type AuditLog } from '../audit/audit-log.ts';
import { auditChannelVersion } from '../audit/config-audit.ts';
import { interpolateEnv } from '../config/interpolate.ts';
import { SwitchboardError } from '../errors.ts';
import type { ConnectorRegistry } from '../connector.ts';
import type { Logger } from '../log.ts';
import { maskChannel } from './channel-masking.ts';
import type { Transform } from '../../transforms/dsl/define-transform.ts';
import { validateChannel, type ChannelProblem } from './channel-schema.ts';
import { ChannelState, digestOf, type ChannelStore, type ChannelVersion } from './channel-store.ts';

/** What the service asks of the engine process it runs in. */
export interface ChannelRunner {
  deploy(channel: ChannelDefinition, version: number): Promise<void>;
  undeploy(channelId: string): Promise<void>;
  pause(channelId: string): Promise<boolean>;
  resume(channelId: string): Promise<boolean>;
  /** What runs here now: channel id → version and whether paused. */
  running(): ReadonlyMap<string, { version: number; paused: boolean }>;
}

export interface Actor {
  username: string;
  sourceIp?: string;
  /** Administrators may deploy past failing mapping fixtures, with a reason (audited). */
  admin?: boolean;
}

/** What the service asks of the data mappings (engine/mappings): a channel version's pins, resolved and checked. */
export interface ChannelMappings {
  /** The channel as the engine runs it (its pinned mappings compiled); CONFIG_INVALID naming a bad pin. */
  runnable(channel: ChannelDefinition): Promise<ChannelDefinition>;
  /** Why it may not be deployed (a pinned mapping failing a fixture); empty when it may. */
  deployProblems(channel: ChannelDefinition): Promise<string[]>;
}

/**
 * Channel lifecycle: save a version (validated; audited with its diff), deploy a version, undeploy,
 * pause, resume, roll back. The store's `channel_states` is the truth; `reconcile()` makes this
 * process run what it says, and runs at start and every few seconds, so that every engine process
 * (ingest and workers) converges on a deploy made through any of them.
 * Files in channels/ are imported at start when they changed since the last start (`syncFiles`).
 */
export class ChannelService {
  private passes: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly o: {
      store: ChannelStore;
      audit: AuditLog;
      runner: ChannelRunner;
      connectors: ConnectorRegistry;
      transforms: ReadonlyMap<string, Transform>;
      mappings: ChannelMappings;
      env: NodeJS.ProcessEnv;
      allowedHosts: readonly string[];
      log: Logger;
    },
  ) {}

  validate(channel: unknown): ChannelProblem[] {
    return validateChannel({
      channel,
      connectors: this.o.connectors,
      transforms: this.o.transforms,
      env: this.o.env,
      allowedHosts: this.o.allowedHosts,
    });
  }

  /** Saves a new version (not deployed). BAD_REQUEST with the problems when it is not valid. */
  async save(o: {
    channel: ChannelDefinition;
    actor: Actor;
    origin: 'console' | 'import' | 'file';
    comment?: string;
  }): Promise<{ ok: true; version: ChannelVersion; created: boolean } | { ok: false; problems: ChannelProblem[] }> {
    const problems = this.validate(o.channel);
    if (problems.length === 0) {
      try {
        await this.o.mappings.runnable(o.channel);
      } catch (err) {
        if (!(err instanceof SwitchboardError) || err.code !== 'CONFIG_INVALID') throw err;
        // A pinned mapping or table that does not exist or compile, or a filter reading a table it does not pin.
        problems.push({ path: o.channel.mappings?.length ? '/mappings' : '/filter', message: err.message });
      }
    }
    if (problems.length > 0) return { ok: false, problems };
    const saved = await this.o.store.save({
      definition: o.channel,
      origin: o.origin,
      author: o.actor.username,
      ...(o.comment ? { comment: o.comment } : {}),
    });
    if (saved.created) {
      await auditChannelVersion({
        audit: this.o.audit,
        actor: o.actor.username,
        channelId: o.channel.id,
        version: saved.version.version,
        origin: o.origin,
        after: maskChannel(o.channel, this.o.connectors),
        ...(saved.previous ? { before: this.o.store.shown(saved.previous.definition) } : {}),
        ...(o.actor.sourceIp ? { sourceIp: o.actor.sourceIp } : {}),
      });
    }
    return { ok: true, version: saved.version, created: saved.created };
  }

  /** Imports channel files changed since they were last imported, and deploys them (a file is a deployment). */
  async syncFiles(files: readonly ChannelDefinition[]): Promise<void> {
    for (const file of files) {
      const digest = digestOf(file);
      const state = await this.o.store.state(file.id);
      if (state?.fileDigest === digest) continue;
      const saved = await this.save({ channel: file, actor: { username: 'system' }, origin: 'file', comment: `channels/${file.id}` });
      if (!saved.ok)
        throw new SwitchboardError('CONFIG_INVALID', `channel ${file.id}${saved.problems[0]!.path}: ${saved.problems[0]!.message}`);
      await this.o.store.setState(file.id, {
        state: ChannelState.deployed,
        version: saved.version.version,
        fileDigest: digest,
        updatedBy: 'system',
      });
    }
  }

  async setState(o: { channelId: string; state: ChannelState; version?: number; actor: Actor; override?: string }): Promise<void> {
    const current = await this.o.store.state(o.channelId);
    const version = o.version ?? current?.version ?? (await this.o.store.latest(o.channelId))?.version;
    const stored = version === undefined ? undefined : await this.o.store.version(o.channelId, version);
    if (version === undefined || !stored)
      throw new SwitchboardError('NOT_FOUND', `no channel ${o.channelId}${o.version ? ` version ${o.version}` : ''}`);
    const overridden = o.state === ChannelState.deployed ? await this.gate(this.o.store.open(stored.definition), o) : [];
    await this.o.store.setState(o.channelId, {
      state: o.state,
      version,
      ...(current?.fileDigest ? { fileDigest: current.fileDigest } : {}),
      updatedBy: o.actor.username,
    });
    const audit = {
      actor: o.actor.username,
      action: AuditAction.configChange,
      target: `channel:${o.channelId}@${version}`,
      ...(o.actor.sourceIp ? { sourceIp: o.actor.sourceIp } : {}),
    };
    try {
      await this.reconcile({ strict: true, only: o.channelId });
    } catch (err) {
      // It does not run here, so it would not run anywhere: back to what was, and the caller is told why.
      if (current)
        await this.o.store.setState(o.channelId, {
          state: current.state,
          version: current.version,
          ...(current.fileDigest ? { fileDigest: current.fileDigest } : {}),
          updatedBy: current.updatedBy,
        });
      else await this.o.store.setState(o.channelId, { state: ChannelState.undeployed, version, updatedBy: o.actor.username });
      await this.reconcile({ only: o.channelId });
      await this.o.audit.append({
        ...audit,
        outcome: 'failure',
        details: { state: o.state, code: (err as SwitchboardError).code ?? 'INTERNAL' },
      });
      throw err instanceof SwitchboardError
        ? new SwitchboardError('CONFLICT', `channel ${o.channelId} did not start: ${err.message}`)
        : err;
    }
    await this.o.audit.append({
      ...audit,
      outcome: 'success',
      details: {
        state: o.state,
        previous: current ? { state: current.state, version: current.version } : null,
        ...(overridden.length > 0 ? { override: { reason: o.override, problems: overridden } } : {}),
      },
    });
  }

  /**
   * The deploy gate: a channel version whose pinned mappings fail their fixtures is not deployed
   * (CONFLICT naming each), unless an administrator overrides with a reason; then the problems
   * overridden are returned for the audit record.
   */
  private async gate(channel: ChannelDefinition, o: { actor: Actor; override?: string }): Promise<string[]> {
    const problems = await this.o.mappings.deployProblems(channel);
    if (problems.length === 0) return [];
    if (o.override?.trim() && o.actor.admin) return problems;
    const how = o.actor.admin ? 'give a reason to deploy anyway' : 'an administrator may deploy anyway, with a reason';
    throw new SwitchboardError('CONFLICT', `channel ${channel.id} is not deployed: ${problems.join('; ')} (${how})`);
  }

  /** Rollback: the chosen old version saved again as the newest, and deployed. */
  async rollback(o: { channelId: string; version: number; actor: Actor }): Promise<ChannelVersion> {
    const old = await this.o.store.version(o.channelId, o.version);
    if (!old) throw new SwitchboardError('NOT_FOUND', `no version ${o.version} of channel ${o.channelId}`);
    const saved = await this.save({
      channel: this.o.store.open(old.definition),
      actor: o.actor,
      origin: 'console',
      comment: `rollback to version ${o.version}`,
    });
    if (!saved.ok)
      throw new SwitchboardError(
        'CONFLICT',
        `version ${o.version} is no longer valid: ${saved.problems[0]!.path} ${saved.problems[0]!.message}`,
      );
    await this.setState({ channelId: o.channelId, state: ChannelState.deployed, version: saved.version.version, actor: o.actor });
    return saved.version;
  }

  /**
   * Makes this process run what channel_states says. A channel that fails to start is logged and
   * left stopped; with `strict` (at engine start) the failure is thrown instead.
   */
  reconcile(o: { strict?: boolean; only?: string } = {}): Promise<void> {
    // One pass at a time: the periodic pass and an API call must not start the same channel twice.
    const run = this.passes.then(() => this.reconcileNow(o));
    this.passes = run.catch(() => undefined);
    return run;
  }

  private async reconcileNow(o: { strict?: boolean; only?: string }): Promise<void> {
    const states = (await this.o.store.allStates()).filter((s) => !o.only || s._id === o.only);
    const running = this.o.runner.running();
    for (const s of states) {
      const here = running.get(s._id);
      if (s.state === ChannelState.undeployed) {
        if (here) await this.o.runner.undeploy(s._id);
        continue;
      }
      try {
        if (!here || here.version !== s.version) {
          const stored = await this.o.store.version(s._id, s.version);
          if (!stored) continue;
          // Made runnable last: it compiles the filter for this very object (routing.ts prepareFilter).
          const channel = await this.o.mappings.runnable(
            interpolateEnv(this.o.store.open(stored.definition), this.o.env, `channel ${s._id}`),
          );
          await this.o.runner.deploy(channel, s.version);
          this.o.log.info('channel version running', {
            channelId: s._id,
            version: s.version,
            ...(channel.mappings?.length
              ? { mappings: channel.transforms.slice(channel.transforms.length - channel.mappings.length) }
              : {}),
          });
        }
        const now = this.o.runner.running().get(s._id);
        if (s.state === ChannelState.paused && now && !now.paused) await this.o.runner.pause(s._id);
        if (s.state === ChannelState.deployed && now?.paused) await this.o.runner.resume(s._id);
      } catch (err) {
        if (o.strict) throw err;
        this.o.log.warn('channel did not start', {
          channelId: s._id,
          version: s.version,
          code: (err as SwitchboardError).code ?? 'INTERNAL',
        });
      }
    }
  }
}
