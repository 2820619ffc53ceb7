import type { UpdateFilter } from 'mongodb';
import type { MessageState } from './message-state.ts';
import { isUnsettledStatus, type MessageStatus } from './states.ts';

/**
 * An update that writes a message's status, and with it `updatedAt` and the `unsettled` flag set or
 * removed to match (see MessageRecord.unsettled), for a message's state document (message-state.ts): every write of
 * a status goes through here.
 */
export function statusUpdate(
  status: MessageStatus,
  o: { set?: Record<string, unknown>; unset?: Record<string, ''> } = {},
): UpdateFilter<MessageState> {
  const flagged = isUnsettledStatus(status);
  const $set = { ...o.set, status, updatedAt: new Date(), ...(flagged ? { unsettled: true } : {}) };
  const $unset = { ...o.unset, ...(flagged ? {} : { unsettled: '' }) };
  return (Object.keys($unset).length > 0 ? { $set, $unset } : { $set }) as UpdateFilter<MessageState>;
}
