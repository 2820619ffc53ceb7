import type { MessageState } from './message-state.ts';
import type { Collection } from 'mongodb';
import { backfillOnce } from './backfill.ts';
import type { MessageRecord } from './message-record.ts';

/**
 * `MessageRecord.replayIds` holds the id of every replay that set a delivery of the message back to
 * pending (ReplayStore.resetDeliveries adds it in the same update that writes the delivery's own
 * `replayId`). A replay's read-back of what it replayed (ReplayStore.findReplayed) is then one
 * equality on a top-level array, which FerretDB 1.24 passes down to PostgreSQL and a GIN index
 * serves (scripts/ferretdb-indexes.sql); on MongoDB the index `replay_ids`. Before, the read-back
 * was an `$or` over every destination's nested `deliveries.<id>.replayId`, which no index served
 * on MongoDB and for which FerretDB read the whole collection at the end of every replay.
 */
function replayIdsOf(deliveries: MessageRecord['deliveries']): string[] {
  return [...new Set(Object.values(deliveries).flatMap((d) => (d.replayId ? [d.replayId] : [])))];
}

/**
 * Gives `replayIds` to the messages a version without the field replayed, so that a replay running
 * across the upgrade (resumed by another process) still finds what it replayed before. Once per
 * store, in Store.start before it serves (backfillOnce): one read of the whole collection,
 * and a write per message replayed by an earlier version.
 */
export function backfillReplayIds(states: Collection<MessageState>, meta: Collection<{ _id: string; at: Date }>): Promise<number> {
  return backfillOnce({
    messages: states,
    meta,
    marker: 'replay-ids',
    field: 'replayIds',
    filters: [{}],
    projection: { _id: 1, deliveries: 1 },
    valueOf: (m) => {
      const ids = replayIdsOf(m.deliveries);
      return ids.length > 0 ? ids : undefined;
    },
  });
}
