import { AuditAction, type AuditEntry, type AuditLog } from '../../audit/audit-log.ts';
import type { CheckpointSigner } from '../../audit/audit-checkpoint.ts';
import type { Store } from '../../store/store.ts';
import type { Pacer } from './pacer.ts';
import { daysBefore } from './retention-rules.ts';

/** Where the audit log is cut: the last entry removed, and the ids of every entry up to it, oldest first. */
export interface AuditCut {
  seq: number;
  hash: string;
  ids: string[];
}

/**
 * The cut through the entries older than the cut-off: the longest run of consecutive positions
 * from the log's first entry (`firstSeq`) among `old` (entries received before the cut-off,
 * ascending). An entry younger than the cut-off stops it, even if older ones follow (two
 * processes' clocks), so the log always keeps one contiguous tail. Undefined when nothing goes.
 */
export function auditCutPoint(old: readonly Pick<AuditEntry, '_id' | 'seq' | 'hash'>[], firstSeq: number): AuditCut | undefined {
  const ids: string[] = [];
  let last: Pick<AuditEntry, 'seq' | 'hash'> | undefined;
  for (const e of old) {
    if (e.seq !== firstSeq + ids.length) break;
    ids.push(e._id);
    last = e;
  }
  return last ? { seq: last.seq, hash: last.hash, ids } : undefined;
}

/**
 * Cuts the audit log (AUDIT_RETENTION_DAYS) so that its chain stays verifiable: the cut point's
 * signed checkpoint is stored first, then an `audit.prune` entry naming it is appended (the cut is
 * itself audited, and that entry stays), then the entries up to it are deleted oldest first, in
 * order and in batches, so that a crash leaves a contiguous tail that still hashes into the
 * checkpoint (audit-verify.ts). Run by the pruner under its lease. Returns how many entries went.
 */
export async function pruneAuditLog(o: {
  store: Store;
  audit: AuditLog;
  signer: CheckpointSigner;
  days: number;
  now: number;
  batch: number;
  pacer: Pacer;
  actor: string;
  runId: string;
}): Promise<{ removed: number; checkpointSeq?: number }> {
  const { store } = o;
  const first = await store.retention.audit.first();
  if (!first) return { removed: 0 };
  const cut = auditCutPoint(await store.retention.audit.olderThan(new Date(daysBefore(o.now, o.days))), first.seq);
  if (!cut) return { removed: 0 };
  const checkpoint = o.signer.sign({ seq: cut.seq, hash: cut.hash, removed: cut.ids.length });
  await store.retention.audit.saveCheckpoint(checkpoint);
  await o.audit.append({
    actor: o.actor,
    action: AuditAction.auditPrune,
    outcome: 'success',
    target: `retention-run:${o.runId}`,
    details: { throughSeq: cut.seq, removed: cut.ids.length, keyId: checkpoint.keyId, days: o.days },
  });
  let removed = 0;
  for (let i = 0; i < cut.ids.length; i += o.batch) {
    removed += await store.retention.audit.deleteEntries(cut.ids.slice(i, i + o.batch));
    await o.pacer.rest(true);
  }
  return { removed, checkpointSeq: cut.seq };
}
