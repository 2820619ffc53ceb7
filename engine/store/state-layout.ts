import type { Collection } from 'mongodb';
import { insertAllowingDuplicates } from './group-commit.ts';
import type { MessageRecord } from './message-record.ts';
import { splitRecord, STATE_FIELDS, UNSET_STATE_FIELDS, type MessageContent, type MessageState } from './message-state.ts';
import type { MetaDocument } from './store-context.ts';

/** The `meta` document that says the layout's backfill has run. */
export const STATE_LAYOUT_MARKER = 'state-layout';

/** Messages moved per round trip. */
const BATCH = 500;

/**
 * Moves the messages of versions before 12-06, which kept their state in the message document, to
 * the two-document layout (message-state.ts): each gets its state document, then loses the state
 * fields. Once per store, at start, before anything reads a state (Store.start); a marker in
 * `meta` records the end. Idempotent and safe to interrupt: a state already there is kept (an
 * insert refused by `_id` counts as done), and a message is cleared only after its state is
 * stored, so a run cut short is finished by the next start. One read of the whole collection
 * (`status` exists: FerretDB passes no `$exists` down), then a write of a batch of states and one of
 * messages per BATCH. Stop every process of an earlier version before starting this one: a write
 * of theirs after the move would go to the message document. Returns how many messages it moved.
 */
export async function backfillStateLayout(c: {
  messages: Collection<MessageContent>;
  states: Collection<MessageState>;
  meta: Collection<MetaDocument>;
}): Promise<number> {
  if (await c.meta.findOne({ _id: STATE_LAYOUT_MARKER })) return 0;
  const legacy = c.messages as unknown as Collection<MessageRecord>;
  const projection = Object.fromEntries(['_id', 'channelId', 'receivedAt', 'receivedMinute', 'kid', ...STATE_FIELDS].map((f) => [f, 1]));
  let moved = 0;
  let batch: MessageRecord[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    // A state whose `_id` is taken was stored by an interrupted run and is kept.
    await insertAllowingDuplicates(
      c.states,
      batch.map((doc) => splitRecord(doc).state),
    );
    await c.messages.bulkWrite(
      batch.map((doc) => ({ updateOne: { filter: { _id: doc._id }, update: { $unset: UNSET_STATE_FIELDS } } })),
      { ordered: false },
    );
    moved += batch.length;
    batch = [];
  };
  for await (const doc of legacy.find({ status: { $exists: true } }, { projection })) {
    batch.push(doc);
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  await c.meta.updateOne({ _id: STATE_LAYOUT_MARKER }, { $set: { at: new Date() } }, { upsert: true });
  return moved;
}
