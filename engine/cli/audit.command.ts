import { AuditLog } from '../audit/audit-log.ts';
import { checkpointVerifierOf, generateCheckpointKeys } from '../audit/audit-checkpoint.ts';
import { toAuditBundle } from '../audit/fhir-audit-event.ts';
import { toSwitchboardError } from '../errors.ts';
import { Store } from '../store/store.ts';

type Io = { out: (s: string) => void; err: (s: string) => void };

/**
 * `switchboard audit verify`: walks the audit log's hash chain in the store named by MONGODB_URL
 * and MONGODB_DB, from the signed checkpoint where it was cut when it was (AUDIT_RETENTION_DAYS;
 * the key from AUDIT_VERIFY_KEY or AUDIT_SIGNING_KEY). Exit 0 with the number of entries when every
 * link holds; 1 naming the first entry (or checkpoint) that does not (position, id, why); 2 for
 * usage. `switchboard audit export [--format json|fhir]` prints the log as JSON lines or as a FHIR
 * Bundle of AuditEvent. `switchboard audit keygen` prints a new Ed25519 key pair for the checkpoints.
 */
export async function runAuditCommand(args: readonly string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [sub] = args;
  if (sub === 'keygen') {
    const keys = generateCheckpointKeys();
    io.out(`AUDIT_SIGNING_KEY=${keys.signingKey}`);
    io.out(`AUDIT_VERIFY_KEY=${keys.verifyKey}`);
    return 0;
  }
  if (sub !== 'verify' && sub !== 'export') {
    io.err('usage: switchboard audit verify | switchboard audit export [--format json|fhir] | switchboard audit keygen');
    return 2;
  }
  if (!env.MONGODB_URL) {
    io.err('MONGODB_URL is not set');
    return 2;
  }
  const store = new Store({ url: env.MONGODB_URL, dbName: env.MONGODB_DB || 'switchboard' });
  try {
    await store.start();
    const audit = new AuditLog(store);
    audit.useCheckpointKey(checkpointVerifierOf(env));
    if (sub === 'export') {
      const format = args[args.indexOf('--format') + 1] === 'fhir' && args.includes('--format') ? 'fhir' : 'json';
      const entries = (await audit.list({ limit: 1_000_000 })).reverse();
      if (format === 'fhir') io.out(JSON.stringify(toAuditBundle(entries)));
      else for (const e of entries) io.out(JSON.stringify(e));
      return 0;
    }
    const result = await audit.verify();
    if (result.ok) {
      const cut = result.from ? ` from #${result.from}, after the signed checkpoint where the log was cut` : '';
      io.out(`audit log intact: ${result.entries} entries${cut}`);
      return 0;
    }
    io.err(`audit log broken at entry #${result.seq} (id ${result.id}): ${result.reason}; ${result.entries} entries before it hold`);
    return 1;
  } catch (err) {
    io.err(`audit ${sub} failed: ${toSwitchboardError(err).code}`);
    return 1;
  } finally {
    await store.close();
  }
}
