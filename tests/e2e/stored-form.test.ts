import test from 'ava';
import { Binary, MongoClient } from 'mongodb';
import { Store } from '../../engine/store/store.ts';
import type { CanonicalEvent } from '../../engine/store/message-record.ts';
import { deadMessage, insertAsStored } from '../support/seed.ts';
import { sharedMongoUrl } from '../support/services.ts';
import { uniqueName } from '../../scripts/lib/unique-name.ts';

const events: CanonicalEvent[] = [
  {
    model: 'EncounterEvent',
    modelVersion: 1,
    transformId: 'hl7v2.adt-to-encounter',
    transformVersion: 2,
    event: { eventType: 'admit', patient: { mrn: '108129', familyName: 'ROE' }, encounter: { visitNumber: 'V1', location: '4W^306^B' } },
  },
  {
    model: 'ChargeEvent',
    modelVersion: 1,
    transformId: 'hl7v2.dft-to-charges',
    transformVersion: 2,
    event: { code: '27447', quantity: 1, amount: 1234.5 },
  },
];

test(
  'canonical events are stored as one packed value, not nested fields, ' +
    'and read back whole; records stored with nested events still read',
  async (t) => {
    const dbName = uniqueName('sbform');
    const store = new Store({ url: sharedMongoUrl(), dbName });
    await store.start();
    const client = new MongoClient(sharedMongoUrl());
    await client.connect();
    t.teardown(async () => {
      await store.close();
      await client.close();
    });
    const packed = { ...deadMessage(1), canonical: { events } };
    await store.messages.insert(packed);
    const stored = await client
      .db(dbName)
      .collection('messages')
      .findOne({ _id: packed._id as never });
    t.deepEqual(stored?.canonical.events, [], 'no nested events');
    t.true(stored?.canonical.packed instanceof Binary, 'one binary value');
    t.deepEqual(JSON.parse(Buffer.from((stored!.canonical.packed as Binary).buffer).toString('utf8')), events);
    t.deepEqual((await store.messages.get(packed._id))?.canonical?.events, events);
    t.deepEqual((await store.messages.getForDelivery(packed._id))?.canonical?.events, events);

    const legacy = { ...deadMessage(2), canonical: { events } };
    await insertAsStored(store, [legacy]);
    t.deepEqual((await store.messages.get(legacy._id))?.canonical?.events, events, 'a record of an earlier version');
  },
);
