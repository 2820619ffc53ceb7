import type { AuditEntry, VerifyResult } from './audit-log.ts';
import type { AuditCheckpoint, CheckpointVerifier } from './audit-checkpoint.ts';

/** `prevHash` of the first entry ever written. */
export const GENESIS = '0'.repeat(64);

/**
 * Walks the audit chain, oldest first, and reports the first entry (or checkpoint) that does not
 * hold. Without checkpoints the chain starts at entry 1 whose `prevHash` is GENESIS. Once the log
 * was cut (audit pruning), the first entry kept starts it, and a signed checkpoint must vouch for
 * the seam:
 * - every checkpoint must verify under `key` (a changed position, hash or time fails its signature),
 *   and one must exist at or after the position before the first entry kept (entries missing from
 *   the start with no checkpoint are a gap, named at the first entry);
 * - the first entry kept links to the checkpoint just before it; when a cut was interrupted half
 *   way (its checkpoint is further on), the entries up to it must hash into it instead;
 * - every entry at a checkpoint's position must have the checkpoint's hash, and every entry its
 *   position, its link and its own hash (`hashOf`), as before.
 * `entries` must come in ascending `seq`. Who calls: AuditLog.verify (`switchboard audit verify`,
 * GET /api/audit/verify).
 */
export async function verifyChain(o: {
  entries: AsyncIterable<AuditEntry>;
  checkpoints: readonly AuditCheckpoint[];
  key: CheckpointVerifier | undefined;
  hashOf: (body: Omit<AuditEntry, 'hash'>) => string;
}): Promise<VerifyResult> {
  const bySeq = new Map<number, AuditCheckpoint>();
  for (const cp of [...o.checkpoints].sort((a, b) => a.seq - b.seq)) {
    const fail = (reason: string): VerifyResult => ({ ok: false, entries: 0, seq: cp.seq, id: cp._id, reason });
    if (!o.key) return fail('the log was cut under a signed checkpoint: set AUDIT_VERIFY_KEY (or AUDIT_SIGNING_KEY) to check it');
    if (!o.key.verify(cp)) return fail('checkpoint signature does not verify (altered, or signed with another key)');
    bySeq.set(cp.seq, cp);
  }
  const lastCheckpoint = Math.max(0, ...bySeq.keys());
  let prevHash: string | undefined;
  let expected = 0;
  let checked = 0;
  let from = 1;
  for await (const e of o.entries) {
    const fail = (reason: string): VerifyResult => ({ ok: false, entries: checked, seq: e.seq, id: e._id, reason });
    if (prevHash === undefined) {
      if (e.seq === 1) prevHash = GENESIS;
      else if (lastCheckpoint < e.seq - 1) return fail(`entries 1 to ${e.seq - 1} are missing and no signed checkpoint covers them`);
      else {
        const seam = bySeq.get(e.seq - 1);
        if (seam && e.prevHash !== seam.hash) return fail('does not link to the signed checkpoint before it');
        // A cut stopped half way: the rest up to its checkpoint must hash into it (checked below).
        prevHash = seam ? seam.hash : e.prevHash;
      }
      expected = from = e.seq;
    }
    if (e.seq !== expected) return fail(expected < e.seq ? `entry ${expected} is missing` : `position ${e.seq} repeated`);
    if (e.prevHash !== prevHash) return fail('does not link to the entry before it');
    const { hash, ...body } = e;
    if (o.hashOf(body) !== hash) return fail('content does not match its hash (altered)');
    const cp = bySeq.get(e.seq);
    if (cp && cp.hash !== hash) return fail('does not match the signed checkpoint at its position');
    prevHash = hash;
    expected++;
    checked++;
  }
  return from > 1 ? { ok: true, entries: checked, from } : { ok: true, entries: checked };
}
