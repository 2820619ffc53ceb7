import { createHash } from 'node:crypto';
import type { Collection } from 'mongodb';
import { SwitchboardError } from '../errors.ts';
import { type Store } from '../store/store.ts';
import { isDuplicateKey, storeCall } from '../store/store-call.ts';
import { newMessageId } from '../ids.ts';
import type { AuditCheckpoint, CheckpointVerifier } from './audit-checkpoint.ts';
import { GENESIS, verifyChain } from './audit-verify.ts';

/** What an audit entry records. Stable strings: exports and the console filter on them. */
export const AuditAction = {
  login: 'auth.login',
  loginFailed: 'auth.login-failed',
  logout: 'auth.logout',
  setup: 'auth.setup',
  tokenCreate: 'token.create',
  tokenRevoke: 'token.revoke',
  userCreate: 'user.create',
  userUpdate: 'user.update',
  userDelete: 'user.delete',
  configChange: 'config.change',
  messageView: 'message.view',
  messageSearch: 'message.search',
  messageReroute: 'message.reroute',
  /** Edit and resend: a corrected message stored and routed; target the correction, details the original's id and the reason. */
  messageResend: 'message.resend',
  replay: 'replay',
  flowRetry: 'flow.retry',
  flowSkip: 'flow.skip',
  flowAbort: 'flow.abort',
  auditExport: 'audit.export',
  /** A pruning run (issue 25): target `retention-run:<id>`, details the counts removed by channel and status. */
  retentionRun: 'retention.run',
  /** Messages put back from an archive file: details the file, counts and the ids restored. */
  archiveRestore: 'archive.restore',
  /** The audit log cut under a signed checkpoint: details the position and how many entries go. */
  auditPrune: 'audit.prune',
  denied: 'access.denied',
} as const;
export type AuditAction = (typeof AuditAction)[keyof typeof AuditAction];

export const AuditOutcome = { success: 'success', denied: 'denied', failure: 'failure' } as const;
export type AuditOutcome = (typeof AuditOutcome)[keyof typeof AuditOutcome];

export interface AuditInput {
  actor: string;
  action: AuditAction;
  outcome: AuditOutcome;
  /** What was acted on: `message:<id>`, `user:<name>`, `channel:<id>`, a route. */
  target?: string;
  /** PHI-free details: a diff of settings, a search's criteria (patient values masked), a reason. */
  details?: Record<string, unknown>;
  sourceIp?: string;
}

export interface AuditEntry extends AuditInput {
  _id: string;
  /** 1, 2, 3…: position in the chain (unique index: two writers cannot both take one). */
  seq: number;
  at: Date;
  /** `hash` of the entry before (64 zeros for the first). */
  prevHash: string;
  /** SHA-256 over prevHash and this entry's canonical JSON. */
  hash: string;
}

/** `from`: the first position verified, when the log was cut (it starts after a signed checkpoint). */
export type VerifyResult =
  { ok: true; entries: number; from?: number } | { ok: false; entries: number; seq: number; id: string; reason: string };

/** JSON with object keys sorted at every level, so a hash does not depend on storage order. */
function canonicalJson(value: unknown): string {
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

function entryHash(e: Omit<AuditEntry, 'hash'>): string {
  const { _id, seq, at, actor, action, outcome, target, details, sourceIp, prevHash } = e;
  return createHash('sha256')
    .update(prevHash)
    .update(canonicalJson({ _id, seq, at, actor, action, outcome, target, details, sourceIp }))
    .digest('hex');
}

/**
 * The append-only, hash-chained audit log (`audit` collection). Each entry carries the hash of the
 * one before, so changing, removing or reordering any entry breaks the chain from there on, and
 * `verify()` (also `switchboard audit verify`) names the first entry that does not hold.
 * Appends from one process are serialised; appends from several processes race on the unique
 * `seq` index and the loser re-reads the head and tries again. No update or delete exists here;
 * the only deletion is the cut of the oldest entries (AUDIT_RETENTION_DAYS, ops/retention/audit-pruner.ts),
 * under a signed checkpoint that verify() starts from.
 */
export class AuditLog {
  private readonly entries: Collection<AuditEntry>;
  private readonly checkpoints: Collection<AuditCheckpoint>;
  private tail: Promise<unknown> = Promise.resolve();
  private checkpointKey: CheckpointVerifier | undefined;

  constructor(store: Store) {
    this.entries = store.collection<AuditEntry>('audit');
    this.checkpoints = store.collection<AuditCheckpoint>('audit_checkpoints');
  }

  /**
   * The key that checks the signed checkpoints where the log was cut (AUDIT_VERIFY_KEY or the public
   * half of AUDIT_SIGNING_KEY; engine/ops/retention/open-retention.ts, `switchboard audit verify`).
   * Without it, verify() fails on a log that was cut, naming the checkpoint it cannot check.
   */
  useCheckpointKey(key: CheckpointVerifier | undefined): void {
    this.checkpointKey = key;
  }

  async start(): Promise<void> {
    await storeCall(() => this.entries.createIndex({ seq: 1 }, { name: 'seq', unique: true }), 'audit.createIndex');
    await storeCall(() => this.entries.createIndex({ at: -1 }, { name: 'at' }), 'audit.createIndex');
  }

  /** Appends one entry durably; resolves once it is stored. STORE_UNAVAILABLE when it cannot be. */
  append(input: AuditInput): Promise<AuditEntry> {
    const next = this.tail.then(() => this.appendNow(input));
    this.tail = next.catch(() => undefined);
    return next;
  }

  private async appendNow(input: AuditInput): Promise<AuditEntry> {
    for (let tries = 0; tries < 10; tries++) {
      const head = await storeCall(
        () => this.entries.find({}, { sort: { seq: -1 }, limit: 1, projection: { seq: 1, hash: 1 } }).next(),
        'audit.head',
      );
      const body: Omit<AuditEntry, 'hash'> = {
        _id: newMessageId(),
        seq: (head?.seq ?? 0) + 1,
        at: new Date(),
        actor: input.actor,
        action: input.action,
        outcome: input.outcome,
        prevHash: head?.hash ?? GENESIS,
      };
      // Only defined fields, and details as plain JSON: what is hashed is exactly what is stored.
      if (input.target !== undefined) body.target = input.target;
      if (input.sourceIp !== undefined) body.sourceIp = input.sourceIp;
      if (input.details !== undefined) body.details = JSON.parse(JSON.stringify(input.details)) as Record<string, unknown>;
      const entry: AuditEntry = { ...body, hash: entryHash(body) };
      try {
        await this.entries.insertOne(entry);
        return entry;
      } catch (err) {
        if (!isDuplicateKey(err)) throw new SwitchboardError('STORE_UNAVAILABLE', 'audit append failed', { cause: err });
      }
    }
    throw new SwitchboardError('STORE_UNAVAILABLE', 'audit append kept losing the race for the next position');
  }

  /** Newest first, by `seq` cursor. */
  async list(q: { limit: number; beforeSeq?: number; action?: string; actor?: string }): Promise<AuditEntry[]> {
    const filter: Record<string, unknown> = {};
    if (q.beforeSeq) filter.seq = { $lt: q.beforeSeq };
    if (q.action) filter.action = q.action;
    if (q.actor) filter.actor = q.actor;
    return storeCall(() => this.entries.find(filter, { sort: { seq: -1 }, limit: q.limit }).toArray(), 'audit.list');
  }

  /**
   * Walks the chain in order and reports the first entry whose position, link or hash is wrong; from
   * the signed checkpoint where it was cut, once it was (see verifyChain), whose signature must hold.
   */
  async verify(): Promise<VerifyResult> {
    const checkpoints = await storeCall(() => this.checkpoints.find({}).toArray(), 'audit.checkpoints');
    const entries = this.entries.find({}, { sort: { seq: 1 } });
    return verifyChain({ entries, checkpoints, key: this.checkpointKey, hashOf: entryHash });
  }
}
