import test from 'ava';
import { randomBytes } from 'node:crypto';
import { MongoClient, ServerApiVersion } from 'mongodb';
import type { ChannelDefinition, SearchField } from '../../engine/channel.ts';
import { SearchHasher } from '../../engine/security/encryption.ts';
import { newMessageId } from '../../engine/ids.ts';
import type { MessageRecord } from '../../engine/store/message-record.ts';
import { splitRecord, type MessageContent, type MessageState } from '../../engine/store/message-state.ts';
import { storedForm } from '../../engine/store/messages.store.ts';
import { RecordSealer } from '../../engine/store/record-sealer.ts';
import { STATES_COLLECTION, Store } from '../../engine/store/store.ts';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { uniqueName } from '../../scripts/lib/unique-name.ts';
import { apiCall, channelPort } from '../support/admin-api.ts';
import { startTestEngine, TEST_ENCRYPTION, testChannel, waitFor, type TestEngine } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';
import { sharedMongoUrl } from '../support/services.ts';
import { userSession } from '../support/users.ts';

const HASH_KEY = randomBytes(32);
const hasher = new SearchHasher(HASH_KEY);
const FHIR_TOKEN = 'charges-token-0123456789';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** A DFT with the MRN in PID-3, the account in PID-18, the order in ORC-2 and the item code in FT1-7. */
const dft = (n: number, o: { mrn: string; account: string; order: string }) =>
  `MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260320143000||DFT^P03|SF${n}|P|2.5.1\r` +
  `PID|1||${o.mrn}^^^GENHOSP^MR||ROE^RITA${'|'.repeat(13)}${o.account}^^^GENHOSP^AN\r` +
  `PV1|1|I${'|'.repeat(17)}V${n}\r` +
  `FT1|1|||20260320120000||CG|27447^KNEE^CPT|||1|99.00^USD\r` +
  `ORC|NW|${o.order}^EPIC\r`;

const mllpChannel = (erpUrl: string, searchFields: SearchField[]): ChannelDefinition => ({
  ...testChannel({ erpUrl }),
  id: 'lab-dft',
  description: 'charges with search fields',
  searchFields,
});

const fhirChannel = (erpUrl: string): ChannelDefinition => ({
  id: 'charges-fhir',
  source: { kind: 'fhir', tokens: [FHIR_TOKEN] },
  accept: ['ChargeItem'],
  transforms: ['fhir.chargeitem-to-charge'],
  destinations: [
    {
      id: 'erp-fhir',
      kind: 'erp-rest',
      config: { baseUrl: erpUrl, timeoutMs: 2000 },
      models: ['ChargeEvent'],
      retry: { attempts: 3, initialDelayMs: 50, maxDelayMs: 200 },
      dataPolicy: { allow: ['clinical', 'financial', 'operational', 'indirect-identifier'] },
    },
  ],
  searchFields: [
    { name: 'item', fhirpath: 'ChargeItem.code.coding.code' },
    { name: 'cost-center', fhirpath: 'ChargeItem.costCenter.identifier.value' },
  ],
});

const chargeItem = (id: string, code: string) => ({
  resourceType: 'ChargeItem',
  id,
  status: 'billable',
  code: { coding: [{ system: 'http://www.ama-assn.org/go/cpt', code }] },
  subject: { reference: 'Patient/pat-100234' },
  context: { reference: 'Encounter/enc-1' },
  occurrenceDateTime: '2026-03-20T14:30:00-05:00',
  costCenter: { identifier: { system: 'urn:genhosp:cost-center', value: 'COSTCTR-4410' } },
  quantity: { value: 1 },
  priceOverride: { value: 42, currency: 'USD' },
});

async function deploy(sb: TestEngine, channel: ChannelDefinition): Promise<void> {
  const saved = await apiCall(sb, 'PUT', `/api/channels/${channel.id}`, channel);
  if (saved.status !== 201) throw new Error(`channel ${channel.id} not saved: ${JSON.stringify(saved.body)}`);
  const deployed = await apiCall(sb, 'POST', `/api/channels/${channel.id}/deploy`);
  if (deployed.status !== 200) throw new Error(`channel ${channel.id} not deployed: ${JSON.stringify(deployed.body)}`);
}

async function sendOverMllp(sb: TestEngine, messages: string[]): Promise<void> {
  const port = await waitFor('the channel listening', () => channelPort(sb, 'lab-dft'));
  const client = await MllpTestClient.connect(port);
  try {
    for (const m of messages) if (field(await client.send(m), 'MSA', 1) !== 'AA') throw new Error('not accepted');
  } finally {
    client.close();
  }
}

type Page = { items: { _id: string; summary: { controlId: string } }[]; nextBefore: string | null; window: { from: string } };

test('search fields declared over the API: found by field and MRN over MLLP and FHIR, within a window, paged, stored hashed', async (t) => {
  const erp = await startErpSimulator();
  t.teardown(() => erp.close());
  const dbName = uniqueName('sbsearch');
  const sb = await startTestEngine({
    channels: [testChannel({ erpUrl: erp.url })],
    dbName,
    security: { ...TEST_ENCRYPTION, SEARCH_HASH_KEY: HASH_KEY.toString('base64') },
  });
  t.teardown(() => sb.close());
  const support = await userSession(sb, { username: 'sam.support', role: 'support', phi: true });
  const viewer = await userSession(sb, { username: 'vic.viewer', role: 'viewer', phi: false });
  const search = async (query: string, headers: Record<string, string> = support) =>
    apiCall(sb, 'GET', `/api/messages?${query}`, undefined, headers);
  const found = async (query: string) => {
    const res = await search(query);
    if (res.status !== 200) throw new Error(`${query}: ${res.status} ${JSON.stringify(res.body)}`);
    return (res.body as unknown as Page).items.map((m) => m.summary.controlId);
  };

  const bad = await apiCall(sb, 'PUT', '/api/channels/lab-dft', mllpChannel(erp.url, [{ name: 'order', hl7: 'ORC 2' }]));
  t.is(bad.status, 422);
  t.is(bad.body.code, 'CONFIG_INVALID');
  const [problem] = bad.body.problems as { path: string; message: string }[];
  t.is(problem!.path, '/searchFields/0/hl7');
  t.regex(problem!.message, /search field order/);

  // Version 1 declares the account only; SF0 is stored under it.
  await deploy(sb, mllpChannel(erp.url, [{ name: 'account', hl7: 'PID-18.1' }]));
  await sendOverMllp(sb, [dft(0, { mrn: 'M-100', account: 'A-0', order: 'ORD-0' })]);
  // Version 2 adds the order and the item code: SF1…SF5 are stored under it.
  const fields: SearchField[] = [
    { name: 'account', hl7: 'PID-18.1' },
    { name: 'order', hl7: 'ORC-2' },
    { name: 'item', hl7: 'FT1-7.1' },
  ];
  await deploy(sb, mllpChannel(erp.url, fields));
  await sendOverMllp(
    sb,
    [1, 2, 3, 4, 5].map((n) => dft(n, { mrn: n <= 3 ? 'M-100' : 'M-200', account: `A-${n}`, order: `ORD-${n}` })),
  );
  await waitFor('the charges delivered', () => erp.postings().length >= 6);

  t.deepEqual(await found('channel=lab-dft&field=account&value=A-3'), ['SF3'], 'by account');
  t.deepEqual(await found('channel=lab-dft&field=order&value=ORD-4'), ['SF4'], 'by order (ORC-2 read as ORC-2.1)');
  t.deepEqual(await found('channel=lab-dft&field=account&value=A-0'), ['SF0'], 'declared when it was stored');
  t.deepEqual(await found('channel=lab-dft&field=order&value=ORD-0'), [], 'stored before the field was declared: not indexed');
  t.deepEqual(await found('channel=ehr-mllp&field=account&value=A-3'), [], 'another channel');
  t.deepEqual(await found('mrn=M-100'), ['SF3', 'SF2', 'SF1', 'SF0'], 'by MRN, newest first');
  t.deepEqual(await found('mrn=M-100&channel=lab-dft&field=item&value=27447'), ['SF3', 'SF2', 'SF1'], 'field and MRN together');

  // Paged by cursor: five charges of item 27447 (SF0 was stored before `item` was declared), two a page.
  const pages: string[][] = [];
  let before = '';
  for (;;) {
    const res = await search(`channel=lab-dft&field=item&value=27447&limit=2${before ? `&before=${before}` : ''}`);
    const page = res.body as unknown as Page;
    pages.push(page.items.map((m) => m.summary.controlId));
    if (!page.nextBefore) break;
    before = page.nextBefore;
  }
  t.deepEqual(pages, [['SF5', 'SF4'], ['SF3', 'SF2'], ['SF1']]);

  // The window: 7 days by default, at most 31; one that ends before the messages finds none.
  const now = Date.now();
  const iso = (ms: number) => encodeURIComponent(new Date(ms).toISOString());
  const defaultWindow = (await search('channel=lab-dft&field=account&value=A-3')).body as unknown as Page;
  t.true(Math.abs(Date.parse(defaultWindow.window.from) - (now - 7 * DAY)) < HOUR, 'the last 7 days by default');
  t.deepEqual(await found(`channel=lab-dft&field=account&value=A-3&from=${iso(now - HOUR)}`), ['SF3']);
  t.deepEqual(await found(`channel=lab-dft&field=account&value=A-3&from=${iso(now - 30 * DAY)}&to=${iso(now - DAY)}`), []);
  const wide = await search(`mrn=M-100&from=${iso(now - 32 * DAY)}`);
  t.is(wide.status, 400);
  t.regex(String(wide.body.detail), /at most 31 days/);
  t.is((await search('field=account&value=A-3')).status, 400, 'a field needs its channel');
  t.is((await search('channel=lab-dft&field=account')).status, 400, 'a field needs a value');
  t.is((await search('channel=lab-dft&field=account&value=A-3', viewer)).status, 403, 'a field value is an identifier: PHI');

  // FHIR over real HTTP: the item code and cost center by FHIRPath, the patient by MRN.
  await deploy(sb, fhirChannel(erp.url));
  for (const [id, code] of [
    ['chg-1', '27447'],
    ['chg-2', '99213'],
  ] as const) {
    const res = await fetch(`http://127.0.0.1:${sb.addresses.http!.port}/fhir/charges-fhir/ChargeItem`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${FHIR_TOKEN}` },
      body: JSON.stringify(chargeItem(id, code)),
    });
    t.is(res.status, 201, await res.text());
  }
  t.deepEqual(await found('channel=charges-fhir&field=item&value=99213'), ['chg-2']);
  t.deepEqual(await found('channel=charges-fhir&field=cost-center&value=COSTCTR-4410'), ['chg-2', 'chg-1']);
  t.deepEqual(await found('channel=charges-fhir&mrn=pat-100234'), ['chg-2', 'chg-1']);

  // Encryption and SEARCH_HASH_KEY on: the stored keys hold keyed hashes, never the values.
  const client = new MongoClient(sharedMongoUrl(), { serverApi: { version: ServerApiVersion.v1, strict: false } });
  await client.connect();
  t.teardown(() => client.close());
  const [sf3] = (await search('channel=lab-dft&field=account&value=A-3')).body.items as { _id: string }[];
  const stored = await client.db(dbName).collection<MessageContent>('messages').findOne({ _id: sf3!._id });
  const day = stored!.receivedAt.toISOString().slice(0, 10);
  t.deepEqual(stored!.searchKeys, [
    `mrn|${hasher.hash('M-100')}|${day}`,
    `control|${hasher.hash('SF3')}`,
    `field|account|${hasher.hash('A-3')}|${day}`,
    `field|order|${hasher.hash('ORD-3')}|${day}`,
    `field|item|${hasher.hash('27447')}|${day}`,
  ]);
  const keys = JSON.stringify(stored!.searchKeys);
  for (const plain of ['M-100', 'A-3', 'ORD-3', '27447']) t.false(keys.includes(plain), `${plain} is not stored in the clear`);
  t.false('searchFieldValues' in stored!, 'the values are not stored');
});

test('a search by MRN also finds messages stored before MRN keys had the day, merged newest first across pages', async (t) => {
  const dbName = uniqueName('sbsearchold');
  const store = new Store({ url: sharedMongoUrl(), dbName });
  await store.start();
  t.teardown(() => store.close());
  const client = new MongoClient(sharedMongoUrl(), { serverApi: { version: ServerApiVersion.v1, strict: false } });
  await client.connect();
  t.teardown(() => client.close());
  const t0 = Date.now() - 4 * HOUR;
  const record = (n: number): MessageRecord => {
    const at = new Date(t0 + n * HOUR);
    return {
      _id: newMessageId(at.getTime()),
      channelId: 'ehr-mllp',
      format: 'hl7v2',
      receivedAt: at,
      updatedAt: at,
      dedupeKey: `ehr-mllp|EPIC|GENHOSP|OLD${n}`,
      raw: Buffer.from('MSH|^~\\&|EPIC|GENHOSP\r'),
      charset: 'UNICODE UTF-8',
      summary: {
        messageType: 'ADT',
        triggerEvent: 'A08',
        controlId: `OLD${n}`,
        sendingApplication: 'EPIC',
        sendingFacility: 'GENHOSP',
        mrn: 'M9',
      },
      status: 'filtered',
      deliveries: {},
      ack: { code: 'AA', sentAt: at },
    };
  };
  const records = [0, 1, 2, 3].map(record);
  // 0 and 2 as an earlier version stored them: `mrn|M9`, no day. 1 and 3 by the store now.
  const db = client.db(dbName);
  for (const r of [records[0]!, records[2]!]) {
    const { content, state } = splitRecord({
      ...storedForm(new RecordSealer(), r),
      searchKeys: ['mrn|M9', `control|${r.summary!.controlId}`],
    });
    await db.collection<MessageContent>('messages').insertOne(content);
    await db.collection<MessageState>(STATES_COLLECTION).insertOne(state);
  }
  for (const r of [records[1]!, records[3]!]) await store.messages.insert(r);
  const ids: string[][] = [];
  let before: string | undefined;
  do {
    const page = await store.messages.list({ mrn: 'M9', limit: 2, ...(before ? { before } : {}) });
    ids.push(page.map((m) => m.summary!.controlId));
    before = page.length === 2 ? page.at(-1)!._id : undefined;
  } while (before);
  t.deepEqual(ids, [['OLD3', 'OLD2'], ['OLD1', 'OLD0'], []]);
});
