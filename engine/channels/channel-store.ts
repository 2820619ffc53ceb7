import { createHash } from 'node:crypto';
import type { Collection } from 'mongodb';
import type { ChannelDefinition } from '../channel.ts';
import { SwitchboardError } from '../errors.ts';
import type { Keyring } from '../security/encryption.ts';
import type { Store } from '../store/store.ts';
import { isDuplicateKey, storeCall } from '../store/store-call.ts';
import type { ConnectorRegistry } from '../connector.ts';
import { maskChannel, secretSlots } from './channel-masking.ts';

export const ChannelState = { deployed: 'deployed', paused: 'paused', undeployed: 'undeployed' } as const;
export type ChannelState = (typeof ChannelState)[keyof typeof ChannelState];

export const ChannelOrigin = { file: 'file', console: 'console', import: 'import' } as const;
export type ChannelOrigin = (typeof ChannelOrigin)[keyof typeof ChannelOrigin];

export interface ChannelVersion {
  _id: string;
  channelId: string;
  version: number;
  /** As stored: literal secrets sealed (`sealed:<base64>`); `${VAR}` references kept as written. */
  definition: ChannelDefinition;
  digest: string;
  origin: ChannelOrigin;
  author: string;
  comment?: string;
  at: Date;
}

export interface ChannelStateRecord {
  _id: string;
  state: ChannelState;
  /** The version deployed (or paused); the last one deployed when undeployed. */
  version: number;
  /** Digest of the channel file last imported at start, so an unchanged file never overrides console edits. */
  fileDigest?: string;
  updatedAt: Date;
  updatedBy: string;
}

const SEALED = 'sealed:';
const isReference = (v: string) => /^\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\}$/.test(v);

/**
 * Channel definitions and their versions in the store: the one model behind files in channels/,
 * `switchboard channels import|export` and the console's editor. Each save that changes a channel
 * is a new version (numbered from 1, never rewritten); `channel_states` says which version runs and
 * whether it is deployed, paused or undeployed, and every engine process converges on it.
 * Secrets: a `${VAR}` reference is kept as written; a literal secret is sealed with the encryption
 * keyring, and refused (BAD_REQUEST) when encryption at rest is off.
 */
export class ChannelStore {
  private readonly versions: Collection<ChannelVersion>;
  private readonly states: Collection<ChannelStateRecord>;

  constructor(
    store: Store,
    private readonly connectors: ConnectorRegistry,
    private readonly keyring?: Keyring,
  ) {
    this.versions = store.collection('channel_versions');
    this.states = store.collection('channel_states');
  }

  async start(): Promise<void> {
    await storeCall(
      () => this.versions.createIndex({ channelId: 1, version: -1 }, { name: 'channel_version', unique: true }),
      'channels.createIndex',
    );
  }

  /** Saves `definition` as the channel's next version, unless it equals the latest (then returns that). */
  async save(o: {
    definition: ChannelDefinition;
    origin: ChannelOrigin;
    author: string;
    comment?: string;
  }): Promise<{ version: ChannelVersion; created: boolean; previous: ChannelVersion | undefined }> {
    const digest = digestOf(this.secretsKeyed(o.definition));
    for (let tries = 0; tries < 5; tries++) {
      const previous = await this.latest(o.definition.id);
      if (previous?.digest === digest) return { version: previous, created: false, previous };
      const version: ChannelVersion = {
        _id: `${o.definition.id}@${(previous?.version ?? 0) + 1}`,
        channelId: o.definition.id,
        version: (previous?.version ?? 0) + 1,
        definition: this.seal(o.definition),
        digest,
        origin: o.origin,
        author: o.author,
        ...(o.comment ? { comment: o.comment } : {}),
        at: new Date(),
      };
      try {
        await this.versions.insertOne(version);
        return { version, created: true, previous };
      } catch (err) {
        if (!isDuplicateKey(err)) throw new SwitchboardError('STORE_UNAVAILABLE', 'channel version insert failed', { cause: err });
      }
    }
    throw new SwitchboardError('CONFLICT', 'the channel is being saved by someone else; try again');
  }

  async latest(channelId: string): Promise<ChannelVersion | undefined> {
    return (
      (await storeCall(() => this.versions.find({ channelId }, { sort: { version: -1 }, limit: 1 }).next(), 'channels.latest')) ?? undefined
    );
  }

  async version(channelId: string, version: number): Promise<ChannelVersion | undefined> {
    return (await storeCall(() => this.versions.findOne({ channelId, version }), 'channels.get')) ?? undefined;
  }

  async history(channelId: string): Promise<ChannelVersion[]> {
    return storeCall(() => this.versions.find({ channelId }, { sort: { version: -1 }, limit: 200 }).toArray(), 'channels.history');
  }

  async channelIds(): Promise<string[]> {
    return (await storeCall(() => this.versions.distinct('channelId'), 'channels.ids')).sort();
  }

  async state(channelId: string): Promise<ChannelStateRecord | undefined> {
    return (await storeCall(() => this.states.findOne({ _id: channelId }), 'channels.getState')) ?? undefined;
  }

  async allStates(): Promise<ChannelStateRecord[]> {
    return storeCall(() => this.states.find({}).toArray(), 'channels.states');
  }

  async setState(channelId: string, s: Omit<ChannelStateRecord, '_id' | 'updatedAt'>): Promise<void> {
    await storeCall(
      () => this.states.replaceOne({ _id: channelId }, { ...s, updatedAt: new Date() }, { upsert: true }),
      'channels.saveState',
    );
  }

  /** A stored definition as readers see it: opened, then every secret masked (channel-masking.ts). */
  shown(definition: ChannelDefinition): ChannelDefinition {
    return maskChannel(this.open(definition), this.connectors);
  }

  /** A stored definition with its literal secrets opened, for the engine to run. */
  open(definition: ChannelDefinition): ChannelDefinition {
    const copy = structuredClone(definition);
    for (const slot of secretSlots(copy, this.connectors)) {
      const v = slot.get();
      if (typeof v === 'string' && v.startsWith(SEALED)) {
        if (!this.keyring)
          throw new SwitchboardError('CONFIG_INVALID', `channel ${definition.id} holds sealed secrets: configure ENCRYPTION_KEYS`);
        slot.set(this.keyring.open(Buffer.from(v.slice(SEALED.length), 'base64')).toString('utf8'));
      }
    }
    return copy;
  }

  /** The definition with literal secrets replaced by a keyed hash: what a digest is taken of, so it reveals nothing. */
  private secretsKeyed(definition: ChannelDefinition): ChannelDefinition {
    const copy = structuredClone(definition);
    for (const slot of secretSlots(copy, this.connectors)) {
      const v = slot.get();
      if (typeof v === 'string' && !isReference(v)) slot.set(`hmac:${this.keyring ? this.keyring.mac(v) : 'none'}`);
    }
    return copy;
  }

  private seal(definition: ChannelDefinition): ChannelDefinition {
    const copy = structuredClone(definition);
    for (const slot of secretSlots(copy, this.connectors)) {
      const v = slot.get();
      if (typeof v !== 'string' || isReference(v) || v.startsWith(SEALED)) continue;
      if (!this.keyring)
        throw new SwitchboardError(
          'BAD_REQUEST',
          `channel ${definition.id}: a literal secret is stored only encrypted (set ENCRYPTION_KEYS), or write it as \${VAR}`,
        );
      slot.set(`${SEALED}${this.keyring.seal(Buffer.from(v)).toString('base64')}`);
    }
    return copy;
  }
}

/** SHA-256 of the definition's JSON with sorted keys: equal definitions, equal digests. */
export function digestOf(definition: unknown): string {
  const sorted = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sorted)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.entries(v)
              .sort(([a], [b]) => (a < b ? -1 : 1))
              .map(([k, x]) => [k, sorted(x)]),
          )
        : v;
  return createHash('sha256')
    .update(JSON.stringify(sorted(definition)))
    .digest('hex');
}
