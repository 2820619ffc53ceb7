import type { Collection } from 'mongodb';
import type { MessageRecord, ReplayRecord } from './message-record.ts';
import type { RecordSealer } from './record-sealer.ts';

/** A document of the `meta` collection: when a one-time step (a backfill, the relay's sweep) last ended. */
export interface MetaDocument {
  _id: string;
  at: Date;
}

/**
 * What the role modules of one store share (see Store): its collections, each with durable writes,
 * available once `Store.start()` has connected, and the sealer every record goes through.
 */
export interface StoreContext {
  readonly sealer: RecordSealer;
  messages(): Collection<MessageRecord>;
  replays(): Collection<ReplayRecord>;
  meta(): Collection<MetaDocument>;
}
