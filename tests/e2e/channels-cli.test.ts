import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, testChannel, waitFor } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';
import { sharedMongoUrl } from '../support/services.ts';
import { uniqueName } from '../../scripts/lib/unique-name.ts';
import { REPO_ROOT } from '../support/shared.ts';

const adt = (id: string) =>
  `MSH|^~\\&|LAB|GENHOSP|ERP|FINANCE|20260315083000||ADT^A01|${id}|P|2.5.1\r` +
  `EVN|A01|20260315083000\rPID|1||4711^^^GENHOSP^MR||ROE^RITA\rPV1|1|I|4W${'|'.repeat(16)}V77\r`;

const cli = (args: string[], db: string) =>
  promisify(execFile)(process.execPath, [path.join(REPO_ROOT, 'bin/switchboard.js'), 'channels', ...args], {
    env: { ...process.env, MONGODB_URL: sharedMongoUrl(), MONGODB_DB: db },
  }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );

/** Sends one ADT to the channel's listener and returns the event the ERP received for it. */
async function deliverOne(port: number, erp: Awaited<ReturnType<typeof startErpSimulator>>, controlId: string): Promise<unknown> {
  const client = await MllpTestClient.connect(port);
  const ack = await client.send(adt(controlId));
  client.close();
  if (field(ack, 'MSA', 1) !== 'AA') throw new Error(`not accepted: ${ack}`);
  const posting = await waitFor('delivered', () =>
    erp.postings().find((p) => p.idempotencyKey.endsWith(':lab-erp') && !seen.has(p.idempotencyKey)),
  );
  seen.add(posting.idempotencyKey);
  return (posting.body as { event: unknown }).event;
}
const seen = new Set<string>();

test('a channel exported to a file and imported into an empty engine behaves the same; files are validated', async (t) => {
  const erp = await startErpSimulator();
  t.teardown(() => erp.close());
  const first = await startTestEngine({ channels: [testChannel({ erpUrl: erp.url })] });
  t.teardown(() => first.close());
  const lab = {
    id: 'lab-mllp',
    source: { kind: 'mllp', host: '127.0.0.1', port: 0 },
    accept: ['ADT^A01'],
    filter: { hl7: 'PV1-2', oneOf: ['I'] },
    transforms: ['hl7v2.adt-to-encounter'],
    destinations: [
      {
        id: 'lab-erp',
        kind: 'erp-rest',
        config: { baseUrl: erp.url, timeoutMs: 2000 },
        models: ['EncounterEvent'],
        dataPolicy: { allow: ['clinical', 'operational'] },
      },
    ],
  };
  const api = (method: string, url: string, payload?: object) =>
    first.engine.http!.inject({ method: method as 'GET', url, headers: first.adminHeaders, ...(payload ? { payload } : {}) });
  t.is((await api('PUT', '/api/channels/lab-mllp', lab)).statusCode, 201);
  await api('POST', '/api/channels/lab-mllp/deploy');
  const portOf = async (sb: typeof first) =>
    (await sb.engine.http!.inject({ method: 'GET', url: '/api/channels', headers: sb.adminHeaders }))
      .json()
      .items.find((c: { id: string }) => c.id === 'lab-mllp').port as number;
  const before = await deliverOne(await portOf(first), erp, 'EXP1');

  const dir = await mkdtemp(path.join(tmpdir(), 'sb-channels-'));
  const exported = await cli(['export', dir], first.config.MONGODB_DB);
  t.is(exported.code, 0, exported.stderr);
  t.deepEqual((await readdir(dir)).sort(), ['ehr-mllp.channel.json', 'lab-mllp.channel.json']);
  const file = path.join(dir, 'lab-mllp.channel.json');
  t.deepEqual(JSON.parse(await readFile(file, 'utf8')).filter, { hl7: 'PV1-2', oneOf: ['I'] });
  t.is((await cli(['validate', file], 'unused')).code, 0);
  const broken = path.join(dir, 'broken.channel.json');
  await writeFile(broken, JSON.stringify({ ...lab, id: 'broken', transforms: ['nope'] }));
  const invalid = await cli(['validate', broken], 'unused');
  t.is(invalid.code, 1);
  t.regex(invalid.stderr, /broken\.channel\.json\/transforms\/0: no transform nope/);
  const unsendable = path.join(dir, 'unsendable.channel.json');
  await writeFile(
    unsendable,
    JSON.stringify({
      ...lab,
      id: 'unsendable',
      destinations: [{ id: 'billing', kind: 'mllp-out', config: { host: '127.0.0.1', port: 2576 }, models: ['SupplyConsumptionEvent'] }],
    }),
  );
  const refused = await cli(['validate', unsendable], 'unused');
  t.is(refused.code, 1);
  t.regex(
    refused.stderr,
    new RegExp(
      /unsendable\.channel\.json\/destinations\/0\/models\/0: /.source +
        /mllp-out cannot send SupplyConsumptionEvent; it sends ChargeEvent, EncounterEvent/.source,
    ),
  );

  const emptyDb = uniqueName('sbimport');
  const imported = await cli(['import', '--deploy', file], emptyDb);
  t.is(imported.code, 0, imported.stderr);
  t.regex(imported.stdout, /channel lab-mllp version 1, deployed/);
  const second = await startTestEngine({ channels: [], dbName: emptyDb });
  t.teardown(() => second.close());
  const after = await deliverOne(await portOf(second), erp, 'EXP1');
  t.deepEqual(after, before, 'the same message gives the same event through the imported channel');
  const audit = (
    await second.engine.http!.inject({ method: 'GET', url: '/api/audit?action=config.change', headers: second.adminHeaders })
  ).json().items;
  t.true(audit.some((e: { actor: string; target: string }) => e.actor.startsWith('cli:') && e.target === 'channel:lab-mllp@1'));
});
