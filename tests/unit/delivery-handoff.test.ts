import test from 'ava';
import { DeliveryHandoff } from '../../engine/queue/handoff.ts';
import type { DeliverableRecord } from '../../engine/store/message-record.ts';
import { deadMessage } from '../support/seed.ts';

function record(i: number): DeliverableRecord {
  const { raw: _raw, ...rest } = deadMessage(i);
  return rest;
}

test('each destination takes a message once; the read runs once, for the first', (t) => {
  const handoff = new DeliveryHandoff();
  let reads = 0;
  const r = record(1);
  handoff.offer({ messageId: r._id, destinationIds: ['erp', 'billing'], read: () => (reads++, r) });
  t.is(handoff.take(r._id, 'erp'), r);
  t.is(handoff.take(r._id, 'erp'), undefined, 'a second run of the same delivery reads the store');
  t.is(handoff.size, 1, 'still held for billing');
  t.is(handoff.take(r._id, 'billing'), r);
  t.is(handoff.size, 0, 'released once every destination took it');
  t.is(reads, 1);
  t.is(handoff.take(r._id, 'other'), undefined, 'a destination it was not offered for');
  t.is(handoff.take('unknown', 'erp'), undefined);
});

test('a message past maxAgeMs is not handed over, and is dropped by the next offer', (t) => {
  let now = 1_000;
  const handoff = new DeliveryHandoff({ maxAgeMs: 100, now: () => now });
  const [a, b] = [record(1), record(2)];
  handoff.offer({ messageId: a._id, destinationIds: ['erp'], read: () => a });
  now += 99;
  handoff.offer({ messageId: b._id, destinationIds: ['erp'], read: () => b });
  now += 1;
  t.is(handoff.take(a._id, 'erp'), undefined, 'a is 100 ms old');
  t.is(handoff.size, 1);
  t.is(handoff.take(b._id, 'erp'), b, 'b is 1 ms old');
});

test('beyond capacity the oldest message is dropped; capacity 0 holds nothing', (t) => {
  const handoff = new DeliveryHandoff({ capacity: 2 });
  const records = [record(1), record(2), record(3)];
  for (const r of records) handoff.offer({ messageId: r._id, destinationIds: ['erp'], read: () => r });
  t.is(handoff.size, 2);
  t.is(handoff.take(records[0]!._id, 'erp'), undefined);
  t.is(handoff.take(records[2]!._id, 'erp'), records[2]);

  const none = new DeliveryHandoff({ capacity: 0 });
  none.offer({ messageId: records[0]!._id, destinationIds: ['erp'], read: () => records[0]! });
  t.is(none.size, 0);
  t.is(none.take(records[0]!._id, 'erp'), undefined);
});
