import test from 'ava';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, waitFor, type TestEngine } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';
import { deploySiteFeed, SITE_TABLE_CSV, siteChannel, siteDft, siteMapping } from '../support/site-dft.ts';
import { userSession } from '../support/users.ts';
import { apiCall } from '../support/admin-api.ts';

type Problem = { path: string; message: string; line?: number; column?: number };

test('a mapping with a type error and an unknown path is refused naming each field; one failing a fixture is not deployed', async (t) => {
  const erp = await startErpSimulator();
  const sb = await startTestEngine({ channels: [] });
  t.teardown(async () => (await sb.close(), await erp.close()));
  const analyst = await userSession(sb, { username: 'ana', role: 'analyst', phi: true });
  await apiCall(sb, 'PUT', '/api/tables/cpt-to-gl/csv', SITE_TABLE_CSV, analyst);

  const bad = siteMapping({ quantity: "'two'", serviceDate: 'dateTime(FT1-0)', glAccount: "lookup('no-such-table', ZCH-2)" });
  const refused = await apiCall(sb, 'PUT', '/api/mappings/site-dft-charges', bad, analyst);
  t.is(refused.status, 422);
  const problems = refused.body.problems as Problem[];
  t.deepEqual(problems.map((p) => p.path).sort(), ['/fields/glAccount/expr', '/fields/quantity/expr', '/fields/serviceDate/expr']);
  t.regex(problems.find((p) => p.path === '/fields/quantity/expr')!.message, /quantity: .*string.*number/);
  t.regex(problems.find((p) => p.path === '/fields/glAccount/expr')!.message, /no-such-table/);
  t.like(
    problems.find((p) => p.path === '/fields/serviceDate/expr'),
    { line: 1, column: 10 },
  );

  // Valid, but its fixture expects another account: it saves (an analyst iterates) and is not deployed.
  const good = siteMapping();
  const checked = await apiCall(sb, 'POST', '/api/mappings/preview', { mapping: good, sample: siteDft('FX1', ['LAB-CBC']) }, analyst);
  const [event] = checked.body.events as Record<string, unknown>[];
  t.is(event!.glAccount, '6100-LAB');
  const wrong = {
    ...good,
    fixtures: [{ name: 'lab line', input: siteDft('FX1', ['LAB-CBC']), expected: [{ ...event, glAccount: '9999' }] }],
  };
  const saved = await apiCall(sb, 'PUT', '/api/mappings/site-dft-charges', wrong, analyst);
  t.is(saved.status, 201);
  t.false((saved.body.fixtures as { passed: boolean }[])[0]!.passed);
  t.is((await apiCall(sb, 'PUT', '/api/channels/site-dft', siteChannel({ erpUrl: erp.url, mapping: 1, table: 1 }), analyst)).status, 201);
  const gated = await apiCall(sb, 'POST', '/api/channels/site-dft/deploy', {}, analyst);
  t.is(gated.status, 409);
  t.regex(String(gated.body.detail), /site-dft-charges@1 fails its fixture lab line: event 1 field glAccount/);
  t.false(String(gated.body.detail).includes('6100-LAB'), 'no value in the answer');
  t.is(
    (await apiCall(sb, 'POST', '/api/channels/site-dft/deploy', { override: 'go-live tonight' }, analyst)).status,
    409,
    'only an admin overrides',
  );

  // An administrator deploys it anyway, with a reason, which the audit log keeps.
  t.is((await apiCall(sb, 'POST', '/api/channels/site-dft/deploy', { override: 'fixture is stale; finance confirmed 6100' })).status, 200);
  const audit = (await apiCall(sb, 'GET', '/api/audit?limit=50')).body.items as {
    target: string;
    details?: { override?: { reason: string } };
  }[];
  t.is(
    audit.find((a) => a.target === 'channel:site-dft@1' && a.details?.override)?.details?.override?.reason,
    'fixture is stale; finance confirmed 6100',
  );
});

test('after a table fix is deployed, a replay dry run shows the changed account; rollback restores the first', async (t) => {
  const erp = await startErpSimulator();
  const sb = await startTestEngine({ channels: [] });
  t.teardown(async () => (await sb.close(), await erp.close()));
  await deploySiteFeed(sb, erp.url);
  const send = async (id: string) => {
    const port = await waitFor('listening', () => sb.engine.mllpPorts()['site-dft']);
    const client = await MllpTestClient.connect(port);
    t.is(field(await client.send(siteDft(id, ['LAB-CBC'])), 'MSA', 1), 'AA');
    client.close();
    return waitFor(`${id} delivered`, async () => {
      const [m] = await sb.engine.store!.messages.list({ controlId: id, limit: 1 });
      return m?.status === 'delivered' && m;
    });
  };
  const used = await apiCall(sb, 'GET', '/api/tables/cpt-to-gl');
  t.deepEqual(
    used.body.usedBy,
    [{ channelId: 'site-dft', channelVersion: 1, mappingId: 'site-dft-charges' }],
    'the table shows who uses it',
  );
  const first = await send('RP1');
  const account = (id: string) =>
    erp
      .postings()
      .filter((p) => p.idempotencyKey.startsWith(`${id}:`))
      .map((p) => (p.body as { event: { glAccount: string } }).event.glAccount);
  t.deepEqual(account(first._id), ['6100-LAB']);

  await apiCall(sb, 'PUT', '/api/tables/cpt-to-gl/csv', SITE_TABLE_CSV.replace('6100-LAB', '6150-LAB'));
  await apiCall(sb, 'PUT', '/api/channels/site-dft', siteChannel({ erpUrl: erp.url, mapping: 1, table: 2 }));
  await apiCall(sb, 'POST', '/api/channels/site-dft/deploy', {});
  await waitFor('version 2 runs', () => sb.engine.running().get('site-dft')?.version === 2);
  const dry = await apiCall(sb, 'POST', '/api/replays', {
    messageIds: [first._id],
    filter: { status: 'delivered' },
    reason: 'GL fix',
    dryRun: true,
  });
  t.is(dry.status, 200, JSON.stringify(dry.body));
  const [change] = dry.body.changes as { diff: { path: string; before: unknown; after: unknown }[]; transformVersions: unknown }[];
  t.deepEqual(change!.diff, [{ path: '[0].glAccount', before: '6100-LAB', after: '6150-LAB' }]);

  t.is((await apiCall(sb, 'POST', '/api/channels/site-dft/rollback', { version: 1 })).status, 200);
  await waitFor('version 1 again (saved as 3)', () => sb.engine.running().get('site-dft')?.version === 3);
  const after = await send('RP2');
  t.deepEqual(account(after._id), ['6100-LAB'], 'the first table version again');
  const stored = await sb.engine.store!.messages.get(after._id);
  t.deepEqual(
    stored!.canonical!.events.map((e) => e.tables),
    [{ 'cpt-to-gl': 1 }],
    'the message records the table version it was mapped with',
  );
});

test('a channel filter reads a lookup table its version pins; one naming a table it does not pin is refused', async (t) => {
  const erp = await startErpSimulator();
  const sb = await startTestEngine({ channels: [] });
  t.teardown(async () => (await sb.close(), await erp.close()));
  await apiCall(sb, 'PUT', '/api/tables/cpt-to-gl/csv', SITE_TABLE_CSV);
  await apiCall(sb, 'PUT', '/api/mappings/site-dft-charges', siteMapping());
  const base = siteChannel({ erpUrl: erp.url, mapping: 1, table: 1 });
  const unpinned = await apiCall(sb, 'PUT', '/api/channels/site-dft', { ...base, filter: { hl7: 'ZCH-2', inTable: 'dept-codes' } });
  t.is(unpinned.status, 422);
  t.regex(JSON.stringify(unpinned.body.problems), /dept-codes/);
  t.is((await apiCall(sb, 'PUT', '/api/channels/site-dft', { ...base, filter: { hl7: 'ZCH-2', inTable: 'cpt-to-gl' } })).status, 201);
  await apiCall(sb, 'POST', '/api/channels/site-dft/deploy', {});
  const port = await waitFor('listening', () => sb.engine.mllpPorts()['site-dft']);
  const client = await MllpTestClient.connect(port);
  t.is(field(await client.send(siteDft('FL1', ['RAD-XR'])), 'MSA', 1), 'AA');
  t.is(field(await client.send(siteDft('FL2', ['XRAY-OLD'])), 'MSA', 1), 'AA');
  client.close();
  const [kept] = await sb.engine.store!.messages.list({ controlId: 'FL1', limit: 1 });
  const [dropped] = await sb.engine.store!.messages.list({ controlId: 'FL2', limit: 1 });
  t.is(kept!.status === 'filtered', false);
  t.is(dropped!.status, 'filtered');
  t.is(dropped!.filteredReason, 'channel filter: ZCH-2 in table cpt-to-gl');
});
