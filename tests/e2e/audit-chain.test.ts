import test from 'ava';
import { createHash } from 'node:crypto';
import { AuditLog, type AuditEntry } from '../../engine/audit/audit-log.ts';
import { runAuditCommand } from '../../engine/cli/audit.command.ts';
import { Store } from '../../engine/store/store.ts';
import { sharedMongoUrl } from '../support/services.ts';
import { uniqueName } from '../../scripts/lib/unique-name.ts';

/**
 * The audit log's hash chain itself, on a real store: each hash is checked against the chain's
 * definition, recomputed here independently of the engine (SHA-256 over the previous entry's hash,
 * then the entry's canonical JSON: keys sorted at every level, dates as ISO strings), and a rewrite
 * that recomputes its hash must still be caught by `switchboard audit verify` at the next entry.
 */

const GENESIS = '0'.repeat(64);

/** Sorted-key JSON, written from the chain's definition, not taken from the engine. */
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

/** What an entry's hash must be: everything stored but the hash and the link, chained to `prevHash`. */
function expectedHash(entry: Omit<AuditEntry, 'hash'>): string {
  const { prevHash, ...body } = entry;
  return createHash('sha256').update(prevHash).update(canonical(body)).digest('hex');
}

/** A store of its own holding a chain of five entries (details with keys out of order, nested). */
async function chainOfFive(): Promise<{ store: Store; dbName: string; entries: AuditEntry[] }> {
  const dbName = uniqueName('sbaudit');
  const store = new Store({ url: sharedMongoUrl(), dbName });
  await store.start();
  const log = new AuditLog(store);
  await log.start();
  const entries: AuditEntry[] = [];
  entries.push(
    await log.append({
      actor: 'system',
      action: 'config.change',
      outcome: 'success',
      target: 'channel:ehr-mllp',
      details: { zeta: 1, alpha: { b: [2, 1], a: 'x' } },
    }),
  );
  entries.push(await log.append({ actor: 'admin', action: 'auth.login', outcome: 'success', sourceIp: '127.0.0.1' }));
  entries.push(
    await log.append({
      actor: 'casey',
      action: 'message.view',
      outcome: 'success',
      target: 'message:m-1',
      details: { reason: 'support ticket 12' },
    }),
  );
  entries.push(
    await log.append({
      actor: 'lou',
      action: 'auth.login-failed',
      outcome: 'denied',
      details: { reason: 'wrong password' },
      sourceIp: '10.0.0.7',
    }),
  );
  entries.push(
    await log.append({ actor: 'admin', action: 'replay', outcome: 'success', details: { count: 3, filter: { destination: 'erp' } } }),
  );
  return { store, dbName, entries };
}

async function verifyCommand(dbName: string): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runAuditCommand(
    ['verify'],
    { out: (s) => out.push(s), err: (s) => err.push(s) },
    { MONGODB_URL: sharedMongoUrl(), MONGODB_DB: dbName },
  );
  return { code, out, err };
}

test("each stored hash is SHA-256 over the previous entry's hash and the entry's canonical body", async (t) => {
  const { store, entries } = await chainOfFive();
  t.teardown(() => store.close());
  const stored = await store
    .collection<AuditEntry>('audit')
    .find({}, { sort: { seq: 1 } })
    .toArray();
  t.deepEqual(
    stored.map((e) => e.seq),
    [1, 2, 3, 4, 5],
  );
  t.deepEqual(
    stored.map((e) => e._id),
    entries.map((e) => e._id),
    'what append returned is what was stored',
  );
  let previous = GENESIS;
  for (const e of stored) {
    t.is(e.prevHash, previous, `entry ${e.seq} links to the entry before it`);
    const { hash, ...rest } = e;
    t.is(hash, expectedHash(rest), `entry ${e.seq}: hash covers the previous hash and the canonical body`);
    // The previous hash is part of what is hashed: the same body under another link hashes differently.
    t.not(hash, expectedHash({ ...rest, prevHash: GENESIS === previous ? 'f'.repeat(64) : GENESIS }));
    previous = hash;
  }
});

test('an entry rewritten with a recomputed hash and the next one relinked: `audit verify` names the next entry', async (t) => {
  const { store, dbName } = await chainOfFive();
  t.teardown(() => store.close());
  const intact = await verifyCommand(dbName);
  t.is(intact.code, 0, intact.err.join('\n'));
  t.deepEqual(intact.out, ['audit log intact: 5 entries']);

  const audit = store.collection<AuditEntry>('audit');
  const [third, fourth] = await audit.find({ seq: { $in: [3, 4] } }, { sort: { seq: 1 } }).toArray();
  // Entry 3 says someone else did something else; its own hash is made to match, and entry 4 is relinked to it.
  const { hash: _old, ...body } = third!;
  const forged = { ...body, actor: 'someone-else', details: { reason: 'nothing to see' } };
  const forgedHash = expectedHash(forged);
  await audit.replaceOne({ _id: third!._id }, { ...forged, hash: forgedHash });
  await audit.updateOne({ _id: fourth!._id }, { $set: { prevHash: forgedHash } });

  const broken = await verifyCommand(dbName);
  t.is(broken.code, 1);
  t.deepEqual(broken.out, []);
  t.is(broken.err.length, 1);
  t.true(broken.err[0]!.includes(`audit log broken at entry #4 (id ${fourth!._id})`), broken.err[0]);
  t.regex(broken.err[0]!, /\(altered\); 3 entries before it hold$/);
});
