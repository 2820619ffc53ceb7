import test from 'ava';
import { createHash } from 'node:crypto';
import {
  CheckpointSigner,
  CheckpointVerifier,
  checkpointVerifierOf,
  generateCheckpointKeys,
  type AuditCheckpoint,
} from '../../engine/audit/audit-checkpoint.ts';
import { GENESIS, verifyChain } from '../../engine/audit/audit-verify.ts';
import type { AuditEntry } from '../../engine/audit/audit-log.ts';
import { auditCutPoint } from '../../engine/ops/retention/audit-pruner.ts';

/** A hash of the entry's fields, chained: the shape of the audit chain, independent of the engine's canonical JSON. */
const hashOf = (e: Omit<AuditEntry, 'hash'>) =>
  createHash('sha256')
    .update(e.prevHash)
    .update(JSON.stringify([e._id, e.seq, e.actor]))
    .digest('hex');

function chain(n: number): AuditEntry[] {
  const out: AuditEntry[] = [];
  let prevHash = GENESIS;
  for (let seq = 1; seq <= n; seq++) {
    const body = {
      _id: `e${seq}`,
      seq,
      at: new Date(Date.UTC(2026, 0, seq)),
      actor: 'admin',
      action: 'auth.login',
      outcome: 'success',
      prevHash,
    } as const;
    const e: AuditEntry = { ...body, hash: hashOf(body) };
    out.push(e);
    prevHash = e.hash;
  }
  return out;
}

async function* iterate(entries: readonly AuditEntry[]) {
  for (const e of entries) yield e;
}

const keys = generateCheckpointKeys();
const signer = CheckpointSigner.fromBase64(keys.signingKey);
const verifier = CheckpointVerifier.fromBase64(keys.verifyKey);

/** Verifies with the test key, or with none (`null`). */
const verify = (entries: readonly AuditEntry[], checkpoints: AuditCheckpoint[], key: CheckpointVerifier | null = verifier) =>
  verifyChain({ entries: iterate(entries), checkpoints, key: key ?? undefined, hashOf });

test('a checkpoint verifies under the public key alone, and any change to it breaks the signature', (t) => {
  const cp = signer.sign({ seq: 41, hash: 'a'.repeat(64), removed: 41, at: new Date('2026-12-01T00:00:00Z') });
  t.is(cp._id, 'checkpoint-41');
  t.true(verifier.verify(cp), 'the public key alone verifies');
  t.is(verifier.keyId, signer.verifier.keyId);
  t.false(verifier.verify({ ...cp, seq: 42 }), 'moved');
  t.false(verifier.verify({ ...cp, hash: 'b'.repeat(64) }), 're-pointed');
  t.false(verifier.verify({ ...cp, at: new Date('2026-12-02T00:00:00Z') }), 're-dated');
  t.false(verifier.verify({ ...cp, removed: 1 }));
  const other = CheckpointVerifier.fromBase64(generateCheckpointKeys().verifyKey);
  t.false(other.verify(cp), 'another key');
  t.false(other.verify({ ...cp, keyId: other.keyId }), 'another key, its id claimed');
});

test('the settings give the verifier: the verify key, else the public half of the signing key; a bad key is CONFIG_INVALID', (t) => {
  t.is(checkpointVerifierOf({ AUDIT_SIGNING_KEY: keys.signingKey })?.keyId, verifier.keyId);
  t.is(checkpointVerifierOf({ AUDIT_VERIFY_KEY: keys.verifyKey })?.keyId, verifier.keyId);
  t.is(checkpointVerifierOf({}), undefined);
  t.throws(() => checkpointVerifierOf({ AUDIT_VERIFY_KEY: 'c2hvcnQ=' }), { message: /32 bytes/ });
});

test('the cut: the longest run of old entries from the first one, stopped by a younger one or a gap', (t) => {
  const entries = chain(6);
  t.deepEqual(auditCutPoint(entries.slice(0, 4), 1), { seq: 4, hash: entries[3]!.hash, ids: ['e1', 'e2', 'e3', 'e4'] });
  t.deepEqual(auditCutPoint([entries[0]!, entries[1]!, entries[3]!], 1)?.ids, ['e1', 'e2'], 'entry 3 is younger: the cut stops before it');
  t.is(auditCutPoint(entries.slice(2, 4), 1), undefined, 'the first entry is not old: nothing goes');
  t.deepEqual(auditCutPoint(entries.slice(2, 4), 3)?.ids, ['e3', 'e4'], 'after an earlier cut the log starts further on');
  t.is(auditCutPoint([], 1), undefined);
});

test('verify: a whole chain holds; after a cut it holds from the checkpoint, and a gap or a changed entry is named', async (t) => {
  const entries = chain(10);
  t.deepEqual(await verify(entries, []), { ok: true, entries: 10 });
  const cp = signer.sign({ seq: 4, hash: entries[3]!.hash, removed: 4 });
  const kept = entries.slice(4);
  t.deepEqual(await verify(kept, [cp]), { ok: true, entries: 6, from: 5 }, 'cut through 4: verified from the checkpoint');
  t.like(await verify(kept, []), { ok: false, seq: 5, reason: 'entries 1 to 4 are missing and no signed checkpoint covers them' });
  t.like(await verify(entries.slice(5), [cp]), {
    ok: false,
    seq: 6,
    reason: 'entries 1 to 5 are missing and no signed checkpoint covers them',
  });
  const altered = kept.map((e) => (e.seq === 7 ? { ...e, actor: 'mallory' } : e));
  t.like(await verify(altered, [cp]), { ok: false, seq: 7, id: 'e7', reason: 'content does not match its hash (altered)' });
  const keyless = await verify(kept, [cp], null);
  t.like(keyless, { ok: false, id: 'checkpoint-4' }, 'a cut log cannot be verified without the key');
  t.regex(keyless.ok ? '' : keyless.reason, /set AUDIT_VERIFY_KEY/);
});

test('verify names a tampered checkpoint, and one that does not match the chain', async (t) => {
  const entries = chain(10);
  const cp = signer.sign({ seq: 4, hash: entries[3]!.hash, removed: 4 });
  t.like(await verify(entries.slice(4), [{ ...cp, hash: entries[4]!.hash }]), {
    ok: false,
    id: 'checkpoint-4',
    reason: 'checkpoint signature does not verify (altered, or signed with another key)',
  });
  // A forger who cut more than the checkpoint covers cannot sign a new one: re-signed with their own key, it fails.
  const forged = CheckpointSigner.fromBase64(generateCheckpointKeys().signingKey).sign({ seq: 6, hash: entries[5]!.hash, removed: 6 });
  t.like(await verify(entries.slice(6), [cp, forged]), { ok: false, id: 'checkpoint-6' });
  const wrong = signer.sign({ seq: 4, hash: 'f'.repeat(64), removed: 4 });
  t.like(await verify(entries.slice(4), [wrong]), { ok: false, seq: 5, reason: 'does not link to the signed checkpoint before it' });
});

test('verify: a cut stopped half way holds while the rest up to its checkpoint hashes into it', async (t) => {
  const entries = chain(10);
  const cp = signer.sign({ seq: 6, hash: entries[5]!.hash, removed: 6 });
  t.deepEqual(await verify(entries, [cp]), { ok: true, entries: 10 }, 'checkpoint stored, nothing deleted yet');
  t.deepEqual(await verify(entries.slice(2), [cp]), { ok: true, entries: 8, from: 3 }, 'entries 1 and 2 deleted, 3 to 6 not yet');
  const rewritten = chain(10).slice(2);
  rewritten[1] = { ...rewritten[1]!, actor: 'mallory' };
  // Rewritten and re-hashed from entry 4 on: the chain links, but no longer reaches the checkpoint's hash.
  for (let i = 1; i < rewritten.length; i++) {
    const { hash: _old, ...body } = { ...rewritten[i]!, prevHash: rewritten[i - 1]!.hash };
    rewritten[i] = { ...body, hash: hashOf(body) };
  }
  t.like(await verify(rewritten, [cp]), { ok: false, seq: 6, reason: 'does not match the signed checkpoint at its position' });
});
