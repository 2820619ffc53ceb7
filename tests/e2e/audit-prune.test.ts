import test from 'ava';
import { createHash, randomUUID } from 'node:crypto';
import { generateCheckpointKeys } from '../../engine/audit/audit-checkpoint.ts';
import type { AuditEntry } from '../../engine/audit/audit-log.ts';
import { Store } from '../../engine/store/store.ts';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, testChannel } from '../support/harness.ts';
import { sharedMongoUrl } from '../support/services.ts';
import { switchboard } from '../support/switchboard-cli.ts';
import { uniqueName } from '../../scripts/lib/unique-name.ts';

/**
 * The audit log kept by its own rule (AUDIT_RETENTION_DAYS): 40 entries of 100 days ago, chained as
 * the engine chains them (hashes recomputed here from the chain's definition), then the engine's
 * own entries after them; `switchboard retention run` cuts the old ones under a signed checkpoint;
 * `switchboard audit verify` (the real command line, with the public key only) passes from the
 * checkpoint, and names a tampered entry and a tampered checkpoint.
 */

const GENESIS = '0'.repeat(64);
const DAY = 86_400_000;

function canonical(value: unknown): string {
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const keys = Object.keys(value)
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

const hashOf = ({ prevHash, ...body }: Omit<AuditEntry, 'hash'>) =>
  createHash('sha256').update(prevHash).update(canonical(body)).digest('hex');

/** `n` entries received `ageDays` ago, chained from the genesis. */
function oldChain(n: number, ageDays: number): AuditEntry[] {
  const out: AuditEntry[] = [];
  let prevHash = GENESIS;
  for (let seq = 1; seq <= n; seq++) {
    const body = {
      _id: randomUUID(),
      seq,
      at: new Date(Date.now() - ageDays * DAY + seq * 1000),
      actor: 'admin',
      action: 'message.view' as const,
      outcome: 'success' as const,
      target: `message:m-${seq}`,
      prevHash,
    };
    const entry = { ...body, hash: hashOf(body) };
    out.push(entry);
    prevHash = entry.hash;
  }
  return out;
}

/** The command line without the checkpoint keys of the test's own environment: each call names what it has. */
const cli = (args: string[], env: Record<string, string>) => switchboard(args, env, ['AUDIT_SIGNING_KEY', 'AUDIT_VERIFY_KEY']);

test('audit verify passes after the audit log is cut under a signed checkpoint, and names a tampered entry and checkpoint', async (t) => {
  const keys = generateCheckpointKeys();
  const dbName = uniqueName('sbauditprune');
  const seed = new Store({ url: sharedMongoUrl(), dbName });
  await seed.start();
  await seed.collection<AuditEntry>('audit').insertMany(oldChain(40, 100));
  await seed.close();

  const erp = await startErpSimulator();
  t.teardown(() => erp.close());
  const config = { AUDIT_RETENTION_DAYS: 30, AUDIT_SIGNING_KEY: keys.signingKey, PRUNE_INTERVAL_MS: 3_600_000 };
  const sb = await startTestEngine({ channels: [testChannel({ erpUrl: erp.url })], dbName, config });
  t.teardown(() => sb.close());
  const store = sb.engine.store!;
  const audit = store.collection<AuditEntry>('audit');
  const newer = await audit.countDocuments({ seq: { $gt: 40 } });
  t.true(newer > 0, "the engine's own entries follow the old ones");

  const env = { MONGODB_URL: sharedMongoUrl(), MONGODB_DB: dbName, REDIS_URL: sb.config.REDIS_URL, QUEUE_PREFIX: sb.config.QUEUE_PREFIX };
  const before = await cli(['audit', 'verify'], env);
  t.is(before.code, 0, before.stderr);
  t.is(before.stdout.trim(), `audit log intact: ${40 + newer} entries`);

  const pruned = await cli(['retention', 'run', '--json', '--actor', 'ops'], {
    ...env,
    AUDIT_RETENTION_DAYS: '30',
    AUDIT_SIGNING_KEY: keys.signingKey,
  });
  t.is(pruned.code, 0, pruned.stderr);
  t.like(JSON.parse(pruned.stdout), { state: 'done', audit: { removed: 40, checkpointSeq: 40 } });
  t.is(await audit.countDocuments({ seq: { $lte: 40 } }), 0, 'the old entries are gone');
  const [cut] = await audit.find({ action: 'audit.prune' }).toArray();
  t.like(cut, { actor: 'cli:ops', details: { throughSeq: 40, removed: 40 } }, 'the cut is itself audited, and stays');

  // An auditor holds the public key only.
  const verifyEnv = { ...env, AUDIT_VERIFY_KEY: keys.verifyKey };
  const after = await cli(['audit', 'verify'], verifyEnv);
  t.is(after.code, 0, after.stderr);
  t.regex(after.stdout, /^audit log intact: \d+ entries from #41, after the signed checkpoint where the log was cut\n$/);
  const viaApi = (await sb.engine.http!.inject({ method: 'GET', url: '/api/audit/verify', headers: sb.adminHeaders })).json();
  t.like(viaApi, { ok: true, from: 41 }, 'the engine verifies it too');
  const keyless = await cli(['audit', 'verify'], env);
  t.is(keyless.code, 1);
  t.regex(keyless.stderr, /checkpoint-40\): the log was cut under a signed checkpoint: set AUDIT_VERIFY_KEY/);

  // A tampered entry is named.
  const victim = (await audit.find({ seq: { $gt: 41 } }, { sort: { seq: 1 }, limit: 1 }).toArray())[0]!;
  await audit.updateOne({ _id: victim._id }, { $set: { actor: 'someone-else' } });
  const tampered = await cli(['audit', 'verify'], verifyEnv);
  t.is(tampered.code, 1);
  t.regex(
    tampered.stderr,
    new RegExp(`audit log broken at entry #${victim.seq} \\(id ${victim._id}\\): content does not match its hash \\(altered\\)`),
  );
  await audit.updateOne({ _id: victim._id }, { $set: { actor: victim.actor } });
  t.is((await cli(['audit', 'verify'], verifyEnv)).code, 0, 'put back, it holds again');

  // A tampered checkpoint is named: moved to cover more, or re-pointed.
  const checkpoints = store.collection<{ _id: string; seq: number; hash: string }>('audit_checkpoints');
  await checkpoints.updateOne({ _id: 'checkpoint-40' }, { $set: { hash: 'f'.repeat(64) } });
  const forged = await cli(['audit', 'verify'], verifyEnv);
  t.is(forged.code, 1);
  t.regex(forged.stderr, /audit log broken at entry #40 \(id checkpoint-40\): checkpoint signature does not verify/);
});
