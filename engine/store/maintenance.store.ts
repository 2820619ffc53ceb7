import { backfillOrderKeys } from './order-keys.ts';
import { backfillReplayIds } from './replay-ids.ts';
import { backfillSearchKeys } from './search-keys.ts';
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
   * Gives the messages stored by earlier versions their `orderKeys`, `searchKeys` and `replayIds` (each once per store; see backfillOnce).
   */
  async backfill(): Promise<void> {
    const messages = this.ctx.messages();
    const meta = this.ctx.meta();
    await storeCall(() => backfillOrderKeys(messages, meta));
    await storeCall(() => backfillSearchKeys(messages, meta));
    await storeCall(() => backfillReplayIds(messages, meta));
  }

  /**
   * Key rotation: re-seals every record not sealed under the active key and returns how many it
   * changed. Records keep working meanwhile (every configured key decrypts). A record's deliveries
   * are rewritten whole, so run it while no delivery of old records is in flight (after the new key
   * has been first in the ring for a while, or with workers stopped). One cursor over the
   * collection: FerretDB passes neither `$ne` nor a limit down, so repeated limited reads would each
   * read the whole collection.
   */
  async resealAll(): Promise<number> {
    const { sealer } = this.ctx;
    const active = sealer.activeKeyId;
    if (!active) return 0;
    const messages = this.ctx.messages();
    const cursor = messages.find({ kid: { $exists: true, $ne: active } }, { batchSize: 500 });
    let changed = 0;
    try {
      for (;;) {
        const doc = await storeCall(() => cursor.next());
        if (!doc) break;
        const set = sealer.reseal(doc);
        if (!set) continue;
        await storeCall(() => messages.updateOne({ _id: doc._id, kid: doc.kid }, { $set: set }));
        changed++;
      }
    } finally {
      await cursor.close().catch(() => undefined);
    }
    return changed;
  }
}
