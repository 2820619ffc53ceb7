import type { Collection } from 'mongodb';
import type { ReplayRecord } from './message-record.ts';
import type { MessageContent, MessageState } from './message-state.ts';
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
  /** One document per message, written once (see message-state.ts). */
  messages(): Collection<MessageContent>;
  /** The mutable part of each message, under the message's `_id`. */
  states(): Collection<MessageState>;
  replays(): Collection<ReplayRecord>;
  meta(): Collection<MetaDocument>;
}
