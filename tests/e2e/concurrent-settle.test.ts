import test from 'ava';
import { Store } from '../../engine/store/store.ts';
import { MessageStatus } from '../../engine/store/states.ts';
import { deadMessage } from '../support/seed.ts';
import { sharedMongoUrl } from '../support/services.ts';
import { uniqueName } from '../../scripts/lib/unique-name.ts';

test(
  'two destinations of one message settling at the same instant both keep their ' +
    'status, and the message is delivered (FerretDB updates are read-modify-write)',
  async (t) => {
    const store = new Store({ url: sharedMongoUrl(), dbName: uniqueName('sbsettle') });
    await store.start();
    t.teardown(() => store.close());
    const destinations = ['erp', 'billing'];
    const messages = Array.from({ length: 20 }, (_, i) => {
      const m = deadMessage(i);
      const deliveries = Object.fromEntries(
        destinations.map((d) => [
          d,
          { destinationId: d, status: 'pending' as const, idempotencyKey: `${m._id}:${d}`, sentEvents: 0, attempts: [] },
        ]),
      );
      return { ...m, status: MessageStatus.routed, deliveries };
    });
    for (const m of messages) await store.messages.insert(m);
    await Promise.all(
      messages.flatMap((m) =>
        destinations.map((d) =>
          store.deliveryState.update(m._id, d, {
            status: 'delivered',
            sentEvents: 1,
            attempt: { at: new Date(), outcome: 'delivered', attempt: 1, durationMs: 1 },
            seen: m,
          }),
        ),
      ),
    );
    const lost: string[] = [];
    for (const m of messages) {
      const stored = (await store.messages.get(m._id))!;
      for (const d of destinations)
        if (stored.deliveries[d]?.status !== 'delivered' || stored.deliveries[d]?.attempts.length !== 1) lost.push(`${m._id}:${d}`);
      if (stored.status !== MessageStatus.delivered) lost.push(`${m._id}: ${stored.status}`);
    }
    t.deepEqual(lost, [], 'no status or attempt overwritten');
  },
);
