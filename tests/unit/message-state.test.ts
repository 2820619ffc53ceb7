import test from 'ava';
import { mergeRecord, repairedState, splitRecord, STATE_FIELDS } from '../../engine/store/message-state.ts';
import type { MessageRecord } from '../../engine/store/message-record.ts';

const at = new Date('2026-12-06T10:00:00Z');

/** A routed message with one pending delivery and every optional field a state can hold. */
const record: MessageRecord = {
  _id: '0193a000-0000-7000-8000-000000000001',
  channelId: 'ehr-mllp',
  format: 'hl7v2',
  receivedAt: at,
  updatedAt: at,
  dedupeKey: 'ehr-mllp|EPIC|GENHOSP|C1',
  raw: Buffer.from('MSH|^~\\&|EPIC|GENHOSP\r'),
  charset: 'UNICODE UTF-8',
  summary: { messageType: 'ADT', triggerEvent: 'A01', controlId: 'C1', sendingApplication: 'EPIC', sendingFacility: 'GENHOSP', mrn: 'M1' },
  status: 'routed',
  unsettled: true,
  canonical: { events: [] },
  deliveries: {
    erp: { destinationId: 'erp', status: 'pending', idempotencyKey: 'k', sentEvents: 0, attempts: [], orderKey: 'M1' },
  },
  ack: { code: 'AA', sentAt: at },
  destinationIds: ['erp'],
  orderKeys: ['erp|M1'],
  searchKeys: ['mrn|M1', 'control|C1'],
  receivedMinute: '2026-12-06T10:00',
  errorCodes: [],
  kid: 'k1',
};

test('a record splits into a content with no state field and a state with every one, plus what the state queries need', (t) => {
  const { content, state } = splitRecord(record);
  for (const field of STATE_FIELDS) t.false(field in content, `${field} is not in the content`);
  t.deepEqual(Object.keys(state).sort(), [
    '_id',
    'channelId',
    'deliveries',
    'destinationIds',
    'errorCodes',
    'kid',
    'orderKeys',
    'receivedAt',
    'receivedMinute',
    'status',
    'unsettled',
    'updatedAt',
  ]);
  t.is(content.raw, record.raw, 'the raw bytes stay with the content');
  t.deepEqual(content.searchKeys, record.searchKeys);
});

test('content and state merged give the record back, and the state wins where both hold a field', (t) => {
  const { content, state } = splitRecord(record);
  t.deepEqual(mergeRecord(content, state), record);
  t.is(mergeRecord({ ...content, status: 'received' }, state).status, 'routed');
});

test('undefined fields are left out of both documents (the driver would store them as null)', (t) => {
  const { content, state } = splitRecord({ ...record, error: undefined, contentHash: undefined } as MessageRecord);
  t.false('error' in state);
  t.false('contentHash' in content);
});

test('a message found without a state gets one that has it routed again: received, unsettled, no deliveries', (t) => {
  const { content } = splitRecord(record);
  const state = repairedState(content);
  t.like(state, { _id: record._id, status: 'received', unsettled: true, deliveries: {}, channelId: 'ehr-mllp', kid: 'k1' });
  t.is(state.receivedMinute, record.receivedMinute);
});
