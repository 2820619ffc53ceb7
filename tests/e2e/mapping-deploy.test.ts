import test from 'ava';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { uniqueName } from '../../scripts/lib/unique-name.ts';
import { spawnEngine } from '../support/engine-process.ts';
import { startTestEngine, waitFor, type TestEngine } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';
import { sharedMongoUrl, sharedRedisUrl } from '../support/services.ts';
import { apiCall, channelPort } from '../support/admin-api.ts';
import { SITE_TABLE_CSV, siteChannel, siteDft, siteMapping } from '../support/site-dft.ts';

type Charge = { code: string; glAccount?: string; costCenter?: string };

/** An admin API call on the ingest engine; fails the test on an unexpected status. */
async function api(sb: TestEngine, method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) {
  const res = await apiCall(sb, method, url, payload);
  if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Sends `id` until it is acknowledged AA, reconnecting to the channel's current port (a deploy moves it). */
async function sendUntilAcknowledged(sb: TestEngine, id: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      const client = await MllpTestClient.connect((await channelPort(sb, 'site-dft')) ?? 0);
      const ack = await client.send(siteDft(id));
      client.close();
      if (field(ack, 'MSA', 1) === 'AA') return;
    } catch {
      // the listener was closed by a deploy: ask for the new port
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${id} was never acknowledged`);
}

test(
  'a deploy of a new table version reaches the ingest and the worker process; ' +
    'each message is mapped by exactly one version, recorded on it',
  async (t) => {
    const erp = await startErpSimulator();
    const names = { dbName: uniqueName('sbmapdeploy'), prefix: uniqueName('sbq') };
    const sb = await startTestEngine({ channels: [], ...names, config: { SWITCHBOARD_ROLE: 'ingest' } });
    const worker = await spawnEngine(
      {
        REDIS_URL: sharedRedisUrl(),
        MONGODB_URL: sharedMongoUrl(),
        MONGODB_DB: names.dbName,
        QUEUE_PREFIX: names.prefix,
        RELAY_INTERVAL_MS: '200',
        RELAY_STALE_MS: '500',
        SWITCHBOARD_CHANNELS_DIR: await mkdtemp(path.join(tmpdir(), 'sb-no-channels-')),
      },
      ['--role', 'worker'],
    );
    t.teardown(async () => (await worker.kill('SIGTERM'), await sb.close(), await erp.close()));

    await api(sb, 'PUT', '/api/tables/cpt-to-gl/csv', SITE_TABLE_CSV);
    await api(sb, 'PUT', '/api/mappings/site-dft-charges', siteMapping());
    await api(sb, 'PUT', '/api/channels/site-dft', siteChannel({ erpUrl: erp.url, mapping: 1, table: 1 }));
    await api(sb, 'POST', '/api/channels/site-dft/deploy', {});
    await waitFor('the channel listening', () => channelPort(sb, 'site-dft'));

    // Messages go on while the table changes and a channel version pinning it is deployed.
    const sent: string[] = [];
    let sending = true;
    const sender = (async () => {
      for (let i = 0; sending; i++) {
        await sendUntilAcknowledged(sb, `SD${i}`);
        sent.push(`SD${i}`);
      }
    })();
    await waitFor('a few sent under version 1', () => sent.length >= 5);
    await api(sb, 'PUT', '/api/tables/cpt-to-gl/csv', SITE_TABLE_CSV.replace('6100-LAB', '6150-LAB'));
    await api(sb, 'PUT', '/api/channels/site-dft', siteChannel({ erpUrl: erp.url, mapping: 1, table: 2 }));
    await api(sb, 'POST', '/api/channels/site-dft/deploy', {});
    const sentBefore = sent.length;
    await waitFor('more sent under version 2', () => sent.length >= sentBefore + 10);
    sending = false;
    await sender;

    await waitFor('the worker runs version 2', () =>
      worker.lines.some(
        (l) => l.includes('"channel version running"') && l.includes('"channelId":"site-dft"') && l.includes('"version":2'),
      ),
    );
    await waitFor(
      'every message delivered',
      async () => {
        const listed = await sb.engine.store!.messages.list({ channelId: 'site-dft', limit: 200 });
        return listed.length === sent.length && listed.every((m) => m.status === 'delivered');
      },
      60_000,
    );
    const stored = await sb.engine.store!.messages.getMany(
      (await sb.engine.store!.messages.list({ channelId: 'site-dft', limit: 200 })).map((m) => m._id),
    );
    const seen = new Set<number>();
    for (const m of stored) {
      const events = m.canonical!.events;
      const versions = new Set(events.map((e) => e.tables?.['cpt-to-gl']));
      t.is(versions.size, 1, `${m.summary?.controlId}: one table version for all its events`);
      const version = [...versions][0]!;
      seen.add(version);
      t.true(events.every((e) => e.transformId === 'site-dft-charges' && e.transformVersion === 1));
      const lab = events.map((e) => e.event as Charge).find((e) => e.code === 'LAB-CBC')!;
      t.is(lab.glAccount, version === 1 ? '6100-LAB' : '6150-LAB', `${m.summary?.controlId} mapped by table version ${version}`);
      // What the ERP received is what was stored: the version recorded is the version sent.
      const posted = erp
        .postings()
        .filter((p) => p.idempotencyKey.startsWith(`${m._id}:`))
        .map((p) => (p.body as { event: Charge }).event);
      t.is(posted.find((e) => e.code === 'LAB-CBC')?.glAccount, lab.glAccount);
    }
    t.deepEqual([...seen].sort(), [1, 2], 'messages on both sides of the deploy');
  },
);
