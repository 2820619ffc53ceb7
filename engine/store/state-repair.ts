import type { Collection } from 'mongodb';
import { DUPLICATE_KEY } from './group-commit.ts';
import { repairedState, type MessageContent, type MessageState } from './message-state.ts';

/**
 * The state of a stored message, given one if it has none (see repairedState): what a resend, or
 * the retry of a FHIR transaction, does when it meets its message. When another process repairs it
 * at the same instant, the state stored first is the one returned. Throws the driver's error (the
 * caller maps it to STORE_UNAVAILABLE).
 */
export async function stateOrRepair(states: Collection<MessageState>, content: MessageContent): Promise<MessageState> {
  const stored = await states.findOne({ _id: content._id });
  if (stored) return stored;
  const state = repairedState(content);
  try {
    await states.insertOne(state);
    return state;
  } catch (err) {
    if ((err as { code?: number }).code !== DUPLICATE_KEY) throw err;
    return (await states.findOne({ _id: content._id })) ?? state;
  }
}
