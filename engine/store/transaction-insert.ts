import type { Collection, Filter, UpdateFilter } from 'mongodb';
import { SwitchboardError } from '../errors.ts';
import { insertAllowingDuplicates } from './group-commit.ts';
import type { MessageRecord } from './message-record.ts';
import { mergeRecord, splitRecord, type MessageContent, type MessageState } from './message-state.ts';
import { stateOrRepair } from './state-repair.ts';
import { MessageStatus } from './states.ts';

/** The two collections a message is stored in (message-state.ts). */
export interface MessageCollections {
  messages: Collection<MessageContent>;
  states: Collection<MessageState>;
}

/** Why a staged entry is sent nowhere yet (its `filteredReason` until the commit). */
export const STAGED_REASON =
  'entry of a FHIR transaction not stored whole: the sender was not answered success; its retry completes the transaction';

/** One entry of a stored transaction, in the order given. */
export interface TransactionEntry {
  messageId: string;
  /** Stored by this call; false when an earlier attempt of the same transaction had stored it. */
  inserted: boolean;
  /** Committed by this call: queueing its deliveries is the caller's (no one else will queue them before the relay). */
  committed: boolean;
  destinationIds: string[];
}

/**
 * Stores the entries of one FHIR transaction as a unit, on a store without multi-document
 * transactions (MongoDB 6+ and FerretDB). Two steps, so that nothing is queued or answered before
 * every entry is durable, and a half-done attempt is finished by the next:
 *
 * 1. Stage: every entry's state in one `insertMany` and its message in another beside it (w:
 *    majority, j: true; see message-state.ts). An entry to be routed is stored
 *    `staged`: status `filtered` (sent nowhere) without the `unsettled` flag and without order keys,
 *    so neither the relay's queries nor an ordered destination's head check see it. An entry the
 *    channel filter drops is stored as it is (it has nothing to commit). The insert is unordered:
 *    staged entries are invisible whatever subset of them a failure leaves, and a retry stores all
 *    that are missing in one round trip. An entry whose de-duplication key exists (an earlier attempt
 *    of the same transaction stored it) is read back instead.
 * 2. Commit, only once step 1 has every entry: each staged entry's state becomes `routed` (flagged
 *    unsettled, order keys set) by one conditional update by `_id`, all sent at once.
 *
 * Failures: anything thrown by step 1 leaves only invisible entries (nothing is delivered; the
 * sender's retry, with the same de-duplication keys, stores the rest and commits). A store failing
 * during step 2 can leave some entries committed and others staged; every entry is durable by then,
 * the committed ones are delivered (the relay queues them), and the sender, answered 503, retries
 * and the retry commits the rest. Without multi-document transactions that window (the store dying
 * between the commit's first and last update) cannot be closed; it is as short as one round trip.
 * An attempt never retried leaves its staged entries visible as `filtered` with STAGED_REASON.
 * An entry read back whose `contentHash` differs from the new one's (the same key sent again with
 * other content) throws CONFLICT before anything is committed: nothing of the new content is
 * delivered, and what this attempt staged stays invisible.
 * Throws the driver's error otherwise (the caller maps it to STORE_UNAVAILABLE).
 */
export async function storeTransaction(
  c: MessageCollections,
  docs: readonly MessageRecord[],
  commitUpdate: (staged: MessageState) => UpdateFilter<MessageState>,
): Promise<TransactionEntry[]> {
  if (docs.length === 0) return [];
  const staged = docs.map((d) => splitRecord(stagedForm(d)));
  const [, refused] = await Promise.all([
    insertAllowingDuplicates(
      c.states,
      staged.map((s) => s.state),
    ),
    insertAllowingDuplicates(
      c.messages,
      staged.map((s) => s.content),
    ),
  ]);
  const stored = await Promise.all(
    staged.map(async ({ content, state }, i) => {
      if (!refused.has(i)) return { doc: mergeRecord(content, state), inserted: true };
      // The earlier attempt's entry is the one: the state written for this one is not.
      await c.states.deleteOne({ _id: state._id }).catch(() => undefined);
      return { doc: await storedTwin(c, content), inserted: false };
    }),
  );
  if (
    stored.some(
      ({ doc }, i) =>
        doc.contentHash !== undefined && staged[i]!.content.contentHash !== undefined && doc.contentHash !== staged[i]!.content.contentHash,
    )
  ) {
    throw new SwitchboardError('CONFLICT', 'a transaction with this key was stored with other content');
  }
  return Promise.all(
    stored.map(async ({ doc, inserted }) => {
      const committed =
        doc.staged === true &&
        (await c.states.updateOne({ _id: doc._id, staged: true } as Filter<MessageState>, commitUpdate(doc))).modifiedCount === 1;
      return { messageId: doc._id, inserted, committed, destinationIds: Object.keys(doc.deliveries) };
    }),
  );
}

/** A new message as staged: a routed one held back (see storeTransaction); any other as it is. */
function stagedForm(doc: MessageRecord): MessageRecord {
  if (doc.status !== MessageStatus.routed) return doc;
  const { unsettled: _unsettled, orderKeys: _orderKeys, ...rest } = doc;
  return { ...rest, status: MessageStatus.filtered, filteredReason: STAGED_REASON, staged: true };
}

/**
 * The stored message with this entry's de-duplication key (an earlier attempt's entry), with its
 * state (repaired if it has none, see repairedState). When the store reported the key taken but
 * shows no message under it, STORE_UNAVAILABLE: a retry reads it.
 */
async function storedTwin(c: MessageCollections, content: MessageContent): Promise<MessageContent & MessageState> {
  const twin = await c.messages.findOne({ dedupeKey: content.dedupeKey });
  if (!twin) throw new SwitchboardError('STORE_UNAVAILABLE', 'duplicate key reported but no stored message found');
  return mergeRecord(twin, await stateOrRepair(c.states, twin));
}
