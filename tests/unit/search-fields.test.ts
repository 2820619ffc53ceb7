import test from 'ava';
import { randomBytes } from 'node:crypto';
import { parseMessage } from '../../hl7v2/index.ts';
import type { ChannelDefinition } from '../../engine/channel.ts';
import { compileSearchField, searchFieldProblems } from '../../engine/channels/search-fields.ts';
import { MAX_VALUES_PER_FIELD, searchFieldValues } from '../../engine/intake/search-field-values.ts';
import { Keyring, SearchHasher } from '../../engine/security/encryption.ts';
import type { MessageRecord } from '../../engine/store/message-record.ts';
import { storedForm } from '../../engine/store/messages.store.ts';
import { RecordSealer } from '../../engine/store/record-sealer.ts';
import { datedKey, fieldKey, searchKeysOf } from '../../engine/store/search-keys.ts';
import { daysBack, searchWindow } from '../../engine/store/search-window.ts';
import { SwitchboardError } from '../../engine/errors.ts';

const DAY = 86_400_000;

const dft = parseMessage(
  'MSH|^~\\&|EPIC|GENHOSP|ERP|FIN|20260315083000||DFT^P03|C1|P|2.5.1\r' +
    'PID|1||100234^^^GENHOSP^MR~555^^^SSA^SS||DOE^JANE|||||||||||||ACC\\T\\9^^^GENHOSP^AN\r' +
    'ORC|NW|ORD-77^EPIC\r' +
    'FT1|1|||20260315||CG|27447^KNEE^CPT\r' +
    'FT1|2|||20260315||CG|99213^VISIT^CPT\r' +
    'FT1|3|||20260315||CG|27447^KNEE^CPT\r',
);

const read = (hl7: string) => {
  const reader = compileSearchField({ name: 'f', hl7 });
  if (reader.kind !== 'hl7') throw new Error('an HL7 reader expected');
  return reader.read(dft);
};

test('an HL7 path reads the first component when it names none, every occurrence and repetition unless it names one', (t) => {
  t.deepEqual(read('PID-18.1'), ['ACC&9'], 'escapes decoded');
  t.deepEqual(read('ORC-2'), ['ORD-77'], 'ORC-2 is ORC-2.1: the order number without its assigning authority');
  t.deepEqual(read('ORC-2.2'), ['EPIC']);
  t.deepEqual(read('FT1-7.1'), ['27447', '99213', '27447'], 'every charge line');
  t.deepEqual(read('FT1(2)-7.1'), ['99213'], 'the one named');
  t.deepEqual(read('PID-3'), ['100234', '555'], 'every repetition');
  t.deepEqual(read('PID-3[2].4'), ['SSA']);
  t.deepEqual(read('ZZZ-1'), [], 'an absent segment reads nothing');
});

test('values are trimmed, de-duplicated and capped; an HL7 field reads nothing of a FHIR resource and FHIRPath nothing of HL7', (t) => {
  const channel = {
    searchFields: [
      { name: 'item', hl7: 'FT1-7.1' },
      { name: 'account', hl7: 'PID-18.1' },
      { name: 'empty', hl7: 'PID-19' },
      { name: 'code', fhirpath: 'ChargeItem.code.coding.code' },
    ],
  } as unknown as ChannelDefinition;
  t.deepEqual(searchFieldValues(channel, { kind: 'hl7', message: dft }), { item: ['27447', '99213'], account: ['ACC&9'] });
  const chargeItem = {
    resourceType: 'ChargeItem',
    code: { coding: Array.from({ length: 30 }, (_, i) => ({ code: ` C${i} ` })) },
  };
  const fhir = searchFieldValues(channel, { kind: 'fhir', resource: chargeItem });
  t.is(fhir?.code?.length, MAX_VALUES_PER_FIELD);
  t.is(fhir?.code?.[0], 'C0');
  t.deepEqual(Object.keys(fhir ?? {}), ['code']);
  t.is(searchFieldValues({ searchFields: [] } as unknown as ChannelDefinition, { kind: 'hl7', message: dft }), undefined);
});

test('FHIRPath: every primitive value the expression gives', (t) => {
  const reader = compileSearchField({ name: 'item', fhirpath: 'ChargeItem.code.coding.code' });
  if (reader.kind !== 'fhir') return t.fail('a FHIR reader expected');
  const resource = { resourceType: 'ChargeItem', code: { coding: [{ code: 'A1' }, { code: 'B2', system: 'x' }] } };
  t.deepEqual(reader.read(resource), ['A1', 'B2']);
  t.deepEqual(reader.read({ resourceType: 'Encounter' }), []);
  return undefined;
});

test('a bad path or expression is a problem naming the field, at save and deploy', (t) => {
  const problems = searchFieldProblems([
    { name: 'account', hl7: 'PID-18.1' },
    { name: 'order', hl7: 'ORC 2' },
    { name: 'item', fhirpath: 'ChargeItem.code.coding.where(' },
    { name: 'both', hl7: 'PID-3', fhirpath: 'Patient.id' },
    { name: 'neither' },
    { name: 'account', hl7: 'PID-19' },
  ]);
  t.deepEqual(
    problems.map((p) => p.path),
    ['/searchFields/1/hl7', '/searchFields/2/fhirpath', '/searchFields/3', '/searchFields/4', '/searchFields/5/name'],
  );
  t.regex(problems[0]!.message, /^search field order: 'ORC 2' is not an HL7 path/);
  t.regex(problems[1]!.message, /^search field item: /);
  t.regex(problems[2]!.message, /exactly one of hl7 and fhirpath/);
  t.regex(problems[4]!.message, /account is declared twice/);
});

const received = new Date('2026-03-15T23:59:00Z');
const record = (fields?: MessageRecord['searchFieldValues']): MessageRecord => ({
  _id: '0193a000-0000-7000-8000-000000000001',
  channelId: 'ehr-mllp',
  format: 'hl7v2',
  receivedAt: received,
  updatedAt: received,
  dedupeKey: 'ehr-mllp|EPIC|GENHOSP|C1',
  raw: Buffer.from('MSH|^~\\&|EPIC|GENHOSP\r'),
  charset: 'UNICODE UTF-8',
  summary: { messageType: 'DFT', triggerEvent: 'P03', controlId: 'C1', sendingApplication: 'EPIC', sendingFacility: 'GENHOSP', mrn: 'M1' },
  status: 'filtered',
  deliveries: {},
  ack: { code: 'AA', sentAt: received },
  ...(fields ? { searchFieldValues: fields } : {}),
});

test('keys: the MRN and each field value by the UTC day received, the control id alone', (t) => {
  t.deepEqual(searchKeysOf(record().summary, received, { account: ['A1'], item: ['I1', 'I2'] }), [
    'mrn|M1|2026-03-15',
    'control|C1',
    'field|account|A1|2026-03-15',
    'field|item|I1|2026-03-15',
    'field|item|I2|2026-03-15',
  ]);
  t.is(datedKey(fieldKey('item', 'I1'), '2026-03-14'), 'field|item|I1|2026-03-14');
  const plain = storedForm(new RecordSealer(), record({ account: ['A1'] }));
  t.deepEqual(plain.searchKeys, ['mrn|M1|2026-03-15', 'control|C1', 'field|account|A1|2026-03-15']);
  t.false('searchFieldValues' in plain, 'the values themselves are not stored');
});

test('with SEARCH_HASH_KEY the stored keys hold keyed hashes, never the value; with encryption alone no field key', (t) => {
  const hasher = new SearchHasher(randomBytes(32));
  const keyring = Keyring.parse(`k1:${randomBytes(32).toString('base64')}`);
  const hashed = storedForm(new RecordSealer({ keyring, hasher }), record({ account: ['ACC-123'] }));
  t.deepEqual(hashed.searchKeys, [
    `mrn|${hasher.hash('M1')}|2026-03-15`,
    `control|${hasher.hash('C1')}`,
    `field|account|${hasher.hash('ACC-123')}|2026-03-15`,
  ]);
  t.false(JSON.stringify(hashed.searchKeys).includes('ACC-123'));
  t.false('searchFieldValues' in hashed);
  const sealedOnly = storedForm(new RecordSealer({ keyring }), record({ account: ['ACC-123'] }));
  t.deepEqual(sealedOnly.searchKeys, ['control|C1'], 'sealed without a hash: neither MRN nor field is kept in the clear');
});

test('window: 7 days by default, 31 at most, a wider one or an empty one is refused', (t) => {
  const now = new Date('2026-03-15T12:00:00Z');
  const w = searchWindow({ now });
  t.is(w.to.getTime() - now.getTime(), 60_000, 'ends a minute ahead of now');
  t.is(w.to.getTime() - w.from.getTime(), 7 * DAY);
  const to = new Date('2026-03-10T00:00:00Z');
  t.deepEqual(searchWindow({ to }), { from: new Date(to.getTime() - 7 * DAY), to });
  const from = new Date(to.getTime() - 31 * DAY);
  t.deepEqual(searchWindow({ from, to }), { from, to }, 'exactly 31 days');
  const wide = t.throws(() => searchWindow({ from: new Date(from.getTime() - 1), to }), { instanceOf: SwitchboardError });
  t.is(wide.code, 'BAD_REQUEST');
  t.regex(wide.message, /at most 31 days/);
  t.is(t.throws(() => searchWindow({ from: to, to }), { instanceOf: SwitchboardError }).code, 'BAD_REQUEST');
  t.throws(() => searchWindow({ from: new Date(now.getTime() - 40 * DAY), now }), { instanceOf: SwitchboardError }, 'from alone, too old');
});

test('the days of a window, newest first, both ends included', (t) => {
  t.deepEqual(daysBack(new Date('2026-03-02T00:10:00Z'), new Date('2026-02-27T23:00:00Z')), [
    '2026-03-02',
    '2026-03-01',
    '2026-02-28',
    '2026-02-27',
  ]);
  t.deepEqual(daysBack(new Date('2026-03-02T00:10:00Z'), new Date('2026-03-02T00:00:00Z')), ['2026-03-02']);
  t.deepEqual(daysBack(new Date('2026-03-01T00:10:00Z'), new Date('2026-03-02T00:00:00Z')), []);
});
