import type { MessageState } from './message-state.ts';
import type { Collection } from 'mongodb';
import type { DeliveryRecord, MessageRecord } from './message-record.ts';
import { DeliveryStatus, MessageStatus } from './states.ts';
import { backfillOnce } from './backfill.ts';

/**
 * `MessageRecord.orderKeys` holds an entry for each delivery of an ordered destination that can
 * still hold its key: pending, retrying or dead (a dead head holds its key under `block`). Intake
 * and routing write the entries of new deliveries; a delivery's write of `delivered` pulls its
 * entry; a replay sets them again for what it reopens. The head check then reads the open and dead
 * messages of one key, not every message the key ever had.
 *
 * The entry of `MessageRecord.orderKeys` for one delivery of an ordered destination:
 * `<destinationId>|<orderKey>`, the key as stored (a keyed hash with SEARCH_HASH_KEY). Destination
 * ids hold no `|`, so the first one ends the id.
 */
export function orderKeyEntry(destinationId: string, orderKey: string): string {
  return `${destinationId}|${orderKey}`;
}

/**
 * `orderKeys` for these deliveries (as stored): one entry per delivery that has an order key and is
 * not delivered, or is about to be reopened (`reopened`: a replay's destinations).
 */
export function orderKeysOf(deliveries: Record<string, DeliveryRecord>, reopened: readonly string[] = []): string[] {
  return Object.values(deliveries).flatMap((d) =>
    d.orderKey && (d.status !== DeliveryStatus.delivered || reopened.includes(d.destinationId))
      ? [orderKeyEntry(d.destinationId, d.orderKey)]
      : [],
  );
}

/** The statuses of messages that can hold an ordered destination's key: a delivery open, or dead. */
const CAN_BLOCK = [MessageStatus.routed, MessageStatus.dead, MessageStatus.partiallyDelivered] as const;

/**
 * Gives `orderKeys` to the messages stored without it (by a version that did not write it) that can
 * hold a key now: routed, dead or partially delivered with an ordered delivery. Without it, such a
 * message would not be seen by the head check of a later message of its key. Messages settled
 * otherwise get theirs when a replay reopens them (ReplayStore.resetDeliveries). Once per store, at
 * start (backfillOnce); reads by one status at a time (an equality FerretDB passes down to
 * PostgreSQL). Returns how many messages it changed.
 */
export function backfillOrderKeys(states: Collection<MessageState>, meta: Collection<{ _id: string; at: Date }>): Promise<number> {
  return backfillOnce({
    messages: states,
    meta,
    marker: 'order-keys',
    field: 'orderKeys',
    filters: CAN_BLOCK.map((status) => ({ status })),
    projection: { _id: 1, deliveries: 1 },
    valueOf: (m) => {
      const keys = orderKeysOf(m.deliveries);
      return keys.length > 0 ? keys : undefined;
    },
  });
}
