import test from 'ava';
import net from 'node:net';
import type { ChannelDefinition } from '../../engine/channel.ts';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, testChannel, waitFor } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';
import { uniqueName } from '../../scripts/lib/unique-name.ts';
import { userSession } from '../support/users.ts';

const adt = (id: string) =>
  `MSH|^~\\&|LAB|GENHOSP|ERP|FINANCE|20260315083000||ADT^A01|${id}|P|2.5.1\r` +
  `EVN|A01|20260315083000\rPID|1||4711^^^GENHOSP^MR||ROE^RITA\rPV1|1|I|4W${'|'.repeat(16)}V${id}\r`;

const labChannel = (erpUrl: string): ChannelDefinition => ({
  id: 'lab-mllp',
  description: 'made in the console',
  source: { kind: 'mllp', host: '127.0.0.1', port: 0 },
  accept: ['ADT^A01'],
  transforms: ['hl7v2.adt-to-encounter'],
  destinations: [
    {
      id: 'lab-erp',
      kind: 'erp-rest',
      config: { baseUrl: erpUrl, timeoutMs: 2000 },
      models: ['EncounterEvent'],
      retry: { attempts: 3, initialDelayMs: 50, maxDelayMs: 200 },
    },
  ],
});

const refused = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(false)));
    s.once('error', () => resolve(true));
  });

test(
  'a channel made through the API: validated, saved as versions, deployed, ' +
    'paused, resumed, diffed, rolled back, audited, and back after a restart',
  async (t) => {
    const erp = await startErpSimulator();
    t.teardown(() => erp.close());
    const shared = { dbName: uniqueName('sbchan'), prefix: uniqueName('sbq') };
    const sb = await startTestEngine({ channels: [testChannel({ erpUrl: erp.url })], ...shared });
    t.teardown(() => sb.close());
    const analyst = await userSession(sb, { username: 'ana.lyst', role: 'analyst' });
    const api = (method: string, url: string, payload?: unknown) =>
      sb.engine.http!.inject({
        method: method as 'GET',
        url,
        headers: analyst,
        ...(payload !== undefined ? { payload: payload as object } : {}),
      });
    const listed = async () =>
      (await api('GET', '/api/channels')).json().items as {
        id: string;
        state: string;
        deployedVersion: number | null;
        latestVersion: number;
        port: number | null;
      }[];

    t.deepEqual(
      (await listed()).map((c) => [c.id, c.state, c.deployedVersion]),
      [['ehr-mllp', 'deployed', 1]],
      'the file channel is version 1, deployed',
    );

    const bad = { ...labChannel(erp.url), transforms: ['no-such-transform'] };
    t.deepEqual((await api('POST', '/api/channels/validate', bad)).json().problems, [
      { path: '/transforms/0', message: 'no transform no-such-transform' },
    ]);
    t.is((await api('PUT', '/api/channels/lab-mllp', bad)).statusCode, 422);
    const outside = { ...labChannel('http://erp.example.net'), id: 'lab-mllp' };
    t.regex(JSON.stringify((await api('PUT', '/api/channels/lab-mllp', outside)).json().problems), /not in ALLOWED_DESTINATION_HOSTS/);

    t.is((await api('PUT', '/api/channels/lab-mllp?comment=first', labChannel(erp.url))).statusCode, 201);
    t.is((await api('PUT', '/api/channels/lab-mllp', labChannel(erp.url))).statusCode, 200, 'an unchanged save is no new version');
    t.is((await listed()).find((c) => c.id === 'lab-mllp')!.state, 'undeployed', 'saved, not deployed');

    t.is((await api('POST', '/api/channels/lab-mllp/deploy')).statusCode, 200);
    const port = (await listed()).find((c) => c.id === 'lab-mllp')!.port!;
    const client = await MllpTestClient.connect(port);
    t.is(field(await client.send(adt('LAB1')), 'MSA', 1), 'AA');
    client.close();
    await waitFor('delivered by the new channel', () => erp.postings().some((p) => p.idempotencyKey.endsWith(':lab-erp')));

    await api('POST', '/api/channels/lab-mllp/pause');
    t.true(await refused(port), 'a paused channel takes no connection');
    await api('POST', '/api/channels/lab-mllp/resume');
    const resumed = (await listed()).find((c) => c.id === 'lab-mllp')!;
    t.is(resumed.state, 'deployed');
    const again = await MllpTestClient.connect(resumed.port!);
    t.is(field(await again.send(adt('LAB2')), 'MSA', 1), 'AA');
    again.close();

    const narrower = { ...labChannel(erp.url), accept: ['ADT^A01', 'ADT^A04'] };
    t.is((await api('PUT', '/api/channels/lab-mllp', narrower)).json().version, 2);
    t.deepEqual((await api('GET', '/api/channels/lab-mllp/diff?from=1&to=2')).json().changes, [
      { path: 'accept', before: '["ADT^A01"]', after: '["ADT^A01","ADT^A04"]' },
    ]);
    t.is((await api('POST', '/api/channels/lab-mllp/deploy', { version: 2 })).json().version, 2);
    t.is((await api('POST', '/api/channels/lab-mllp/rollback', { version: 1 })).json().version, 3);
    const detail = (await api('GET', '/api/channels/lab-mllp')).json();
    t.like(detail, { state: 'deployed', deployedVersion: 3, latest: { version: 3, author: 'ana.lyst', comment: 'rollback to version 1' } });
    t.deepEqual(detail.definition.accept, ['ADT^A01']);
    t.deepEqual(
      (await api('GET', '/api/channels/lab-mllp/versions')).json().items.map((v: { version: number }) => v.version),
      [3, 2, 1],
    );

    const audited = (
      await sb.engine.http!.inject({ method: 'GET', url: '/api/audit?action=config.change&actor=ana.lyst', headers: sb.adminHeaders })
    ).json().items;
    t.true(audited.length >= 6, `${audited.length} channel changes audited`);
    t.true(
      audited.some(
        (e: { target: string; details: { diff?: { path: string }[] } }) =>
          e.target === 'channel:lab-mllp@2' && e.details.diff?.[0]?.path === 'accept',
      ),
    );

    await sb.close();
    const restarted = await startTestEngine({ channels: [testChannel({ erpUrl: erp.url })], ...shared });
    t.teardown(() => restarted.close());
    const after = (await restarted.engine.http!.inject({ method: 'GET', url: '/api/channels', headers: restarted.adminHeaders })).json()
      .items;
    t.deepEqual(
      after.map((c: { id: string; state: string; deployedVersion: number }) => [c.id, c.state, c.deployedVersion]),
      [
        ['ehr-mllp', 'deployed', 1],
        ['lab-mllp', 'deployed', 3],
      ],
    );
  },
);

test(
  'a destination naming a model its connector cannot send is refused ' + 'by the API with a problem naming the field, and nothing is saved',
  async (t) => {
    const erp = await startErpSimulator();
    t.teardown(() => erp.close());
    const sb = await startTestEngine({ channels: [testChannel({ erpUrl: erp.url })] });
    t.teardown(() => sb.close());
    const analyst = await userSession(sb, { username: 'ana.lyst', role: 'analyst' });
    const api = (method: string, url: string, payload?: object) =>
      sb.engine.http!.inject({ method: method as 'GET', url, headers: analyst, ...(payload ? { payload } : {}) });
    const lab = labChannel(erp.url);
    const billing = {
      id: 'billing',
      kind: 'mllp-out',
      config: { host: '127.0.0.1', port: 2576 },
      models: ['ChargeEvent', 'SupplyConsumptionEvent'],
    };
    const unsendable = {
      ...lab,
      accept: ['DFT^P03'],
      transforms: ['hl7v2.dft-to-charges', 'hl7v2.dft-to-supply'],
      destinations: [{ ...lab.destinations[0]!, models: ['ChargeEvent'] }, billing],
    };
    const expected = [
      { path: '/destinations/1/models/1', message: 'mllp-out cannot send SupplyConsumptionEvent; it sends ChargeEvent, EncounterEvent' },
    ];
    t.deepEqual((await api('POST', '/api/channels/validate', unsendable)).json().problems, expected);
    const put = await api('PUT', '/api/channels/lab-mllp', unsendable);
    t.is(put.statusCode, 422);
    t.regex(String(put.headers['content-type']), /^application\/problem\+json/);
    t.like(put.json(), { status: 422, code: 'CONFIG_INVALID', problems: expected });
    t.is((await api('GET', '/api/channels/lab-mllp')).statusCode, 404, 'not saved');
    const sendable = { ...unsendable, destinations: [unsendable.destinations[0]!, { ...billing, models: ['ChargeEvent'] }] };
    t.is(
      (await api('PUT', '/api/channels/lab-mllp', sendable)).statusCode,
      201,
      'the same channel without the model it cannot send is saved',
    );
    const connectors = (await api('GET', '/api/connectors')).json().items as { kind: string; models: string[] }[];
    t.deepEqual(
      connectors.find((c) => c.kind === 'mllp-out')?.models,
      ['ChargeEvent', 'EncounterEvent'],
      'the API lists what each connector sends',
    );
  },
);

test(
  'secrets: a literal secret is refused without encryption at rest; the ' +
    'API masks secrets and a masked value saved back keeps the stored one',
  async (t) => {
    const erp = await startErpSimulator();
    t.teardown(() => erp.close());
    const plain = await startTestEngine({ channels: [testChannel({ erpUrl: erp.url })] });
    t.teardown(() => plain.close());
    const withKey = {
      ...labChannel(erp.url),
      destinations: [{ ...labChannel(erp.url).destinations[0]!, config: { baseUrl: erp.url, apiKey: 'literal-key-123' } }],
    };
    const put = await plain.engine.http!.inject({
      method: 'PUT',
      url: '/api/channels/lab-mllp',
      headers: plain.adminHeaders,
      payload: withKey,
    });
    t.is(put.statusCode, 400);
    t.regex(put.json().detail, /stored only encrypted/);
    const referenced = {
      ...withKey,
      destinations: [{ ...withKey.destinations[0]!, config: { baseUrl: erp.url, apiKey: '${LAB_ERP_KEY:-none}' } }],
    };
    t.is(
      (await plain.engine.http!.inject({ method: 'PUT', url: '/api/channels/lab-mllp', headers: plain.adminHeaders, payload: referenced }))
        .statusCode,
      201,
      'a ${VAR} reference is fine',
    );

    const sealed = await startTestEngine({
      channels: [testChannel({ erpUrl: erp.url })],
      security: { ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 3).toString('base64')}` },
    });
    t.teardown(() => sealed.close());
    const api = (method: string, url: string, payload?: unknown) =>
      sealed.engine.http!.inject({
        method: method as 'GET',
        url,
        headers: sealed.adminHeaders,
        ...(payload !== undefined ? { payload: payload as object } : {}),
      });
    t.is((await api('PUT', '/api/channels/lab-mllp', withKey)).statusCode, 201);
    const shown = (await api('GET', '/api/channels/lab-mllp')).json().definition;
    t.is(shown.destinations[0].config.apiKey, '********');
    const edited = { ...shown, description: 'edited in the console' };
    t.is((await api('PUT', '/api/channels/lab-mllp', edited)).json().version, 2);
    await api('POST', '/api/channels/lab-mllp/deploy');
    const port = (await api('GET', '/api/channels')).json().items.find((c: { id: string }) => c.id === 'lab-mllp').port;
    const client = await MllpTestClient.connect(port);
    t.is(field(await client.send(adt('KEY1')), 'MSA', 1), 'AA');
    client.close();
    await waitFor('delivered with the stored key', () => erp.postings().some((p) => p.idempotencyKey.endsWith(':lab-erp')));
    t.deepEqual(
      (await api('GET', '/api/channels/lab-mllp/diff?from=1&to=2')).json().changes.map((c: { path: string }) => c.path),
      ['description'],
      'the secret did not change',
    );
  },
);
