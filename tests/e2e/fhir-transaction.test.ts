import test from 'ava';
import ehrFhir from '../../channels/ehr-fhir.channel.ts';
import type { MessageRecord } from '../../engine/store/message-record.ts';
import { Store } from '../../engine/store/store.ts';
import { MessageStatus } from '../../engine/store/states.ts';
import { startErpSimulator, type ErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, testChannel, waitFor, type TestEngine, TEST_ENCRYPTION } from '../support/harness.ts';
import { deadMessage } from '../support/seed.ts';
import { sharedMongoUrl } from '../support/services.ts';
import { uniqueName } from '../../scripts/lib/unique-name.ts';

const TOKEN = 'test-token-transactions-0123';
let erp: ErpSimulator;
let sb: TestEngine;

test.before(async () => {
  erp = await startErpSimulator();
  const fhir = {
    ...ehrFhir,
    source: { ...ehrFhir.source, tokens: [TOKEN] },
    destinations: ehrFhir.destinations.map((d) => ({
      ...d,
      config: { baseUrl: erp.url },
      retry: { attempts: 3, initialDelayMs: 50, maxDelayMs: 200 },
    })),
  };
  sb = await startTestEngine({ channels: [testChannel({ erpUrl: erp.url }), fhir], security: TEST_ENCRYPTION });
});
test.after.always(async () => {
  await sb?.close();
  await erp?.close();
});

const post = (body: object, headers: Record<string, string> = {}) =>
  sb.engine.http!.inject({
    method: 'POST',
    url: '/fhir/ehr-fhir/',
    headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${TOKEN}`, ...headers },
    payload: JSON.stringify(body),
  });
/** The messages stored for resources whose ids start with `prefix` (each test uses its own). */
const storedWith = async (prefix: string) =>
  (await sb.engine.store!.messages.list({ channelId: 'ehr-fhir', limit: 100 })).filter((m) => m.summary?.controlId.startsWith(prefix));

const encounter = (id: string) => ({
  resourceType: 'Encounter',
  id,
  status: 'in-progress',
  class: { code: 'IMP' },
  identifier: [{ value: `V-${id}` }],
  subject: { reference: 'Patient/pat-tx' },
  period: { start: '2026-04-01' },
});
const charge = (id: string, visit: string | undefined) => ({
  resourceType: 'ChargeItem',
  id,
  status: 'billable',
  code: { coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: '27447' }] },
  subject: { reference: 'Patient/pat-tx' },
  ...(visit ? { context: { reference: `Encounter/${visit}` } } : {}),
  occurrenceDateTime: '2026-04-01',
});
const bundle = (type: 'transaction' | 'batch', resources: object[]) => ({
  resourceType: 'Bundle',
  type,
  entry: resources.map((resource) => ({ resource, request: { method: 'POST', url: (resource as { resourceType: string }).resourceType } })),
});

test.serial(
  'a transaction whose third entry fails its transform stores and queues nothing, and its OperationOutcome names Bundle.entry[2]',
  async (t) => {
    // The third ChargeItem is valid FHIR, but without context the charge transform has no visit number.
    const res = await post(bundle('transaction', [encounter('txa-enc'), charge('txa-c1', 'txa-enc'), charge('txa-c2', undefined)]));
    t.is(res.statusCode, 422, res.body);
    t.is(res.json().resourceType, 'OperationOutcome');
    const expressions: string[] = res.json().issue.flatMap((i: { expression?: string[] }) => i.expression ?? []);
    t.true(
      expressions.some((e) => e.startsWith('Bundle.entry[2]')),
      expressions.join(', '),
    );
    t.false(
      expressions.some((e) => e.startsWith('Bundle.entry[0]') || e.startsWith('Bundle.entry[1]')),
      'only the failing entry is named',
    );
    t.deepEqual(await storedWith('txa-'), [], 'no entry was stored, so none was queued');

    const invalid = await post(
      bundle('transaction', [encounter('txb-enc'), charge('txb-c1', 'txb-enc'), { ...charge('txb-c2', 'txb-enc'), status: 42 }]),
    );
    t.is(invalid.statusCode, 400, invalid.body);
    t.true(
      invalid.json().issue.some((i: { expression?: string[] }) => (i.expression ?? []).some((e) => e.startsWith('Bundle.entry[2]'))),
      invalid.body,
    );
    t.deepEqual(await storedWith('txb-'), []);
  },
);

test.serial('a retried transaction without Bundle.identifier returns the first answer and stores nothing new', async (t) => {
  const transaction = bundle('transaction', [encounter('txc-enc'), charge('txc-c1', 'txc-enc'), charge('txc-c2', 'txc-enc')]);
  const first = await post(transaction);
  t.is(first.statusCode, 200, first.body);
  t.is(first.json().type, 'transaction-response');
  const statuses = (r: typeof first) => r.json().entry.map((e: { response: { status: string } }) => e.response.status);
  const locations = (r: typeof first) => r.json().entry.map((e: { response: { location: string } }) => e.response.location);
  t.deepEqual(statuses(first), ['201 Created', '201 Created', '201 Created']);
  const stored = await storedWith('txc-');
  t.is(stored.length, 3);

  // The same content with its keys in another order is the same transaction.
  const reversed = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(reversed)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.entries(v)
              .reverse()
              .map(([k, x]) => [k, reversed(x)]),
          )
        : v;
  const reordered = reversed(transaction) as object;
  t.not(JSON.stringify(reordered), JSON.stringify(transaction));
  for (const again of [transaction, reordered]) {
    const retry = await post(again);
    t.is(retry.statusCode, 200, retry.body);
    t.deepEqual(statuses(retry), ['200 OK', '200 OK', '200 OK']);
    t.deepEqual(locations(retry), locations(first), 'the first answer: the same messages');
  }
  t.is((await storedWith('txc-')).length, 3, 'nothing new stored');
  // Committed after staging: every entry is delivered.
  const delivered: string[] = [];
  for (const location of locations(first) as string[]) {
    const id = location.split('/').pop()!;
    await waitFor(`entry ${id} delivered`, async () => (await sb.engine.store!.messages.get(id))?.status === MessageStatus.delivered);
    delivered.push(id);
  }
  t.is(delivered.length, 3, 'every entry delivered');
});

test.serial(
  'a transaction whose Bundle.identifier was used before with other content gets 409, and nothing of it is delivered',
  async (t) => {
    const identifier = { system: 'urn:test', value: 'txe-1' };
    const first = await post({ ...bundle('transaction', [encounter('txe-enc'), charge('txe-c1', 'txe-enc')]), identifier });
    t.is(first.statusCode, 200, first.body);
    // The same identifier, other content: another charge, and one entry more.
    const other = await post({
      ...bundle('transaction', [encounter('txe-enc'), charge('txe-c9', 'txe-enc'), charge('txe-c10', 'txe-enc')]),
      identifier,
    });
    t.is(other.statusCode, 409, other.body);
    t.is(other.json().resourceType, 'OperationOutcome');
    const routed = (await storedWith('txe-')).filter((m) => m.status !== MessageStatus.filtered);
    t.deepEqual(routed.map((m) => m.summary?.controlId).sort(), ['txe-c1', 'txe-enc'], 'only the first transaction is routed');
  },
);

test.serial('a batch with one bad entry still stores the good ones', async (t) => {
  const res = await post(bundle('batch', [encounter('txd-enc'), charge('txd-c1', 'txd-enc'), charge('txd-c2', undefined)]));
  t.is(res.statusCode, 200, res.body);
  t.is(res.json().type, 'batch-response');
  t.deepEqual(
    res.json().entry.map((e: { response: { status: string } }) => e.response.status),
    ['201 Created', '201 Created', '422 Unprocessable Entity'],
  );
  const stored = await storedWith('txd-');
  t.is(stored.length, 3, 'the bad entry is kept too, as errored');
  t.is(stored.filter((m) => m.status === MessageStatus.errored).length, 1, 'the bad entry is errored, the good ones are routed on');
});

test('an attempt whose write failed half way leaves nothing the relay would queue, and the retry completes it', async (t) => {
  const store = new Store({ url: sharedMongoUrl(), dbName: uniqueName('sbtxn') });
  await store.start();
  t.teardown(() => store.close());
  /** Entry i of one transaction, routed to `erp`, as intake makes it (a new message id each attempt). */
  const entry = (i: number): MessageRecord => {
    const m = deadMessage(i);
    return {
      ...m,
      status: MessageStatus.routed,
      dedupeKey: `ehr-fhir|fhir|txn:test#${i}`,
      deliveries: { erp: { destinationId: 'erp', status: 'pending', idempotencyKey: `${m._id}:erp`, sentEvents: 0, attempts: [] } },
    };
  };
  // The first attempt's third insert fails (its _id is taken), after the other two were stored.
  const taken = deadMessage(99);
  await store.messages.insert(taken);
  const firstAttempt = [entry(0), entry(1), { ...entry(2), _id: taken._id }];
  await t.throwsAsync(store.messages.insertTransaction(firstAttempt), { message: /./ });
  const [a, b] = firstAttempt.map((r) => r._id);
  const flagged = async () =>
    [...(await store.relay.findUnsettled(new Date(Date.now() + 60_000), 100)), ...(await store.relay.findUnflagged(100))].map((m) => m._id);
  t.deepEqual(
    (await flagged()).filter((id) => id === a || id === b),
    [],
    'the relay does not see the stored entries',
  );
  t.is((await store.messages.get(a!))?.status, MessageStatus.filtered, 'stored, sent nowhere');

  const retry = await store.messages.insertTransaction([entry(0), entry(1), entry(2)]);
  t.deepEqual(retry.map((e) => e.messageId).slice(0, 2), [a, b], "the first attempt's entries are taken");
  t.deepEqual(
    retry.map((e) => [e.inserted, e.committed]),
    [
      [false, true],
      [false, true],
      [true, true],
    ],
  );
  for (const e of retry) {
    const m = await store.messages.get(e.messageId);
    t.is(m?.status, MessageStatus.routed);
    t.is(m?.staged, undefined);
  }
  t.true(retry.every((e) => e.destinationIds.join() === 'erp'));
  const again = await store.messages.insertTransaction([entry(0), entry(1), entry(2)]);
  t.deepEqual(
    again.map((e) => [e.inserted, e.committed]),
    [
      [false, false],
      [false, false],
      [false, false],
    ],
    'a later retry stores and queues nothing',
  );
  t.deepEqual((await flagged()).sort(), retry.map((e) => e.messageId).sort(), "committed: in the relay's sight, flagged unsettled");
});
