import test from 'ava';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { decodeLine, parseManifest } from '../../engine/ops/retention/archive-format.ts';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { pruneNow } from '../support/retention-api.ts';
import { startTestEngine, testChannel, waitFor } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';
import { adtWithId, seedMessages } from '../support/retention-seed.ts';
import { sharedMongoUrl } from '../support/services.ts';
import { switchboard } from '../support/switchboard-cli.ts';
import { uniqueName } from '../../scripts/lib/unique-name.ts';

/**
 * With encryption at rest, the archive holds the records as stored: sealed. No patient value is in
 * a file, the manifest names the key the records need, and a restore without that key is refused
 * before anything is written; with it, the message comes back searchable by its hashed control id.
 */

const keys = { ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`, SEARCH_HASH_KEY: randomBytes(32).toString('base64') };

test('an archive of sealed records stays sealed; restoring needs the key, and brings the message back searchable', async (t) => {
  const erp = await startErpSimulator();
  t.teardown(() => erp.close());
  const archiveDir = await mkdtemp(path.join(os.tmpdir(), 'sb-archive-'));
  t.teardown(() => rm(archiveDir, { recursive: true, force: true }));
  const sb = await startTestEngine({
    channels: [testChannel({ erpUrl: erp.url })],
    dbName: uniqueName('sbretsealed'),
    security: keys,
    config: { RETENTION_DELIVERED_DAYS: 30, ARCHIVE_DIR: archiveDir, PRUNE_REST_FACTOR: 0, PRUNE_PAUSE_MS: 0 },
  });
  t.teardown(() => sb.close());
  const store = sb.engine.store!;
  const client = await MllpTestClient.connect(sb.mllpPort);
  t.is(field(await client.send(adtWithId('SEALED0')), 'MSA', 1), 'AA');
  client.close();
  const wire = await waitFor('stored', async () => (await store.messages.list({ controlId: 'SEALED0', limit: 1 }))[0]);
  const template = (await store.messages.get(wire._id))!;
  const plan = Array.from({ length: 40 }, (_, i) => ({
    channelId: 'ehr-mllp',
    status: 'delivered' as const,
    ageDays: 45,
    controlId: `SL${i}`,
  }));
  const seeded = await seedMessages(store, template, plan, Date.now());

  const run = await pruneNow(sb);
  t.is(run.state, 'done', run.error);
  t.deepEqual(run.removed, { 'ehr-mllp': { delivered: 40 } });
  const manifest = parseManifest(await readFile(path.join(archiveDir, run.archive!.manifest!), 'utf8'));
  t.like(manifest, { sealed: true, keyIds: ['k1'] });
  const text = manifest.files.map((f) => gunzipSync(readFileSync(path.join(archiveDir, f.file))).toString('utf8')).join('');
  const lines = text.trim().split('\n');
  t.is(lines.length, 40);
  const decoded = lines.map((l) => decodeLine(l));
  for (const { content, line } of decoded) {
    const bytes = Buffer.concat([Buffer.from(content.raw), Buffer.from(JSON.stringify(content.summary))]);
    t.false(bytes.includes('ROE^RITA') || bytes.includes('4711'), `${line.id}: no patient value, sealed or hashed`);
    t.is(line.kid, 'k1');
  }

  const target = seeded[7]!;
  const file = path.join(archiveDir, manifest.files[0]!.file);
  const env = { MONGODB_URL: sharedMongoUrl(), MONGODB_DB: sb.config.MONGODB_DB };
  const keyless = await switchboard(['archive', 'restore', file, '--message', target.id], env, ['ENCRYPTION_KEYS', 'SEARCH_HASH_KEY']);
  t.is(keyless.code, 1);
  t.regex(keyless.stderr, /CONFIG_INVALID: a stored record needs encryption key k1; encryption is not configured/);
  t.is(await store.messages.get(target.id), null, 'nothing written');

  const restored = await switchboard(['archive', 'restore', file, '--message', target.id], { ...env, ...keys });
  t.is(restored.code, 0, restored.stderr);
  const found = await store.messages.list({ controlId: target.controlId, limit: 5 });
  t.deepEqual(
    found.map((m) => m._id),
    [target.id],
    'found by its control id, stored as a keyed hash',
  );
  t.true(
    Buffer.from((await store.messages.get(target.id))!.raw)
      .toString('latin1')
      .includes(`|${target.controlId}|`),
    'it opens',
  );
});
