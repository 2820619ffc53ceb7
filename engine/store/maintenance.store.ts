import type { FindCursor } from 'mongodb';
import { backfillOrderKeys } from './order-keys.ts';
import { backfillReplayIds } from './replay-ids.ts';
import { backfillSearchKeys } from './search-keys.ts';
import { backfillStateLayout } from './state-layout.ts';
import { storeCall } from './store-call.ts';
import type { StoreContext } from './store-context.ts';

/**
 * The store's maintenance role: the one-time backfills of fields later versions added (run by
 * `Store.start`) and key rotation. Every method throws `SwitchboardError('STORE_UNAVAILABLE')` when
 * the server cannot be reached or does not confirm the write.
 */
export class MaintenanceStore {
  constructor(private readonly ctx: StoreContext) {}

  /**
   * Moves the messages stored by earlier versions to the two-document layout (state-layout.ts), then
   * gives their states `orderKeys` and `replayIds` and the messages `searchKeys` (each once per
   * store; see backfillOnce). The layout goes first: the other backfills read the states.
   */
  async backfill(): Promise<void> {
    const messages = this.ctx.messages();
    const states = this.ctx.states();
    const meta = this.ctx.meta();
    await storeCall(() => backfillStateLayout({ messages, states, meta }), 'maintenance.backfillStateLayout');
    await storeCall(() => backfillOrderKeys(states, meta), 'maintenance.backfillOrderKeys');
    await storeCall(() => backfillSearchKeys(messages, meta), 'maintenance.backfillSearchKeys');
    await storeCall(() => backfillReplayIds(states, meta), 'maintenance.backfillReplayIds');
  }

  /**
   * Key rotation: re-seals every message and state not sealed under the active key and returns how
   * many messages it changed (their states, re-sealed after them, are not counted again). Records
   * keep working meanwhile (every configured key decrypts). A state's deliveries are rewritten
   * whole, so run it while no delivery of old records is in flight (after the new key has been
   * first in the ring for a while, or with workers stopped). One cursor over each collection:
   * FerretDB passes neither `$ne` nor a limit down, so repeated limited reads would each read the
   * whole collection.
   */
  async resealAll(): Promise<number> {
    const { sealer } = this.ctx;
    const active = sealer.activeKeyId;
    if (!active) return 0;
    const filter = { kid: { $exists: true, $ne: active } };
    const messages = this.ctx.messages();
    const states = this.ctx.states();
    const changed = await eachDocument(messages.find(filter, { batchSize: 500 }), async (doc) => {
      const set = sealer.reseal(doc);
      if (set) await storeCall(() => messages.updateOne({ _id: doc._id, kid: doc.kid }, { $set: set }), 'maintenance.rekeyMessage');
      return Boolean(set);
    });
    await eachDocument(states.find(filter, { batchSize: 500 }), async (state) => {
      const set = sealer.resealState(state);
      if (set) await storeCall(() => states.updateOne({ _id: state._id, kid: state.kid }, { $set: set }), 'maintenance.rekeyState');
      return Boolean(set);
    });
    return changed;
  }
}

/** Runs `fn` on each document of `cursor`, one at a time, and closes it; returns how many `fn` said it changed. */
async function eachDocument<T>(cursor: FindCursor<T>, fn: (doc: T) => Promise<boolean>): Promise<number> {
  let changed = 0;
  try {
    for (;;) {
      const doc = await storeCall(() => cursor.next(), 'maintenance.next');
      if (!doc) return changed;
      if (await fn(doc)) changed++;
    }
  } finally {
    await cursor.close().catch(() => undefined);
  }
}
