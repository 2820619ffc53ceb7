import type { ErrorCode } from '../errors.ts';
import { maskSummary } from '../security/masking.ts';
import { inScope, type Principal } from '../security/roles.ts';
import type { Store } from '../store/store.ts';
import type { DeliveryRecord, MessageRecord } from '../store/message-record.ts';
import { DeliveryStatus, ReplayableStatus } from '../store/states.ts';

/** Which dead deliveries: all, or those of one channel, destination and/or last error code. */
export interface DeadFilter {
  channel?: string;
  destination?: string;
  errorCode?: string;
}

/**
 * One dead delivery as support staff see it: the message's summary (MRN and control id masked without PHI), attempts and the last error
 * with the peer's answer.
 */
export interface DeadDelivery {
  messageId: string;
  channelId: string;
  receivedAt: Date;
  summary: MessageRecord['summary'];
  destinationId: string;
  attempts: number;
  lastError: DeliveryRecord['lastError'];
}

/** Messages with a dead delivery read for one listing, newest first. */
const MAX_MESSAGES = 10_000;

/**
 * The dead deliveries of the channels `principal` may see, newest message first, filtered by
 * `filter`. Called by `GET /api/deliveries/dead` (and its counts) and by `switchboard deliveries
 * dead`. STORE_UNAVAILABLE when the store does not answer.
 */
export async function listDeadDeliveries(store: Store, filter: DeadFilter, principal: Principal): Promise<DeadDelivery[]> {
  const messages = await store.messages.findWithDeliveriesIn({
    status: ReplayableStatus.dead,
    order: -1,
    limit: MAX_MESSAGES,
    ...(filter.channel ? { channelId: filter.channel } : {}),
  });
  return messages
    .filter((m) => inScope(principal, m.channelId))
    .flatMap((m) =>
      Object.values(m.deliveries)
        .filter(
          (d) =>
            d.status === DeliveryStatus.dead &&
            (!filter.destination || d.destinationId === filter.destination) &&
            (!filter.errorCode || d.lastError?.code === filter.errorCode),
        )
        .map((d) => ({
          messageId: m._id,
          channelId: m.channelId,
          receivedAt: m.receivedAt,
          summary: m.summary && !principal.phi ? maskSummary(m.summary) : m.summary,
          destinationId: d.destinationId,
          attempts: d.attempts.length,
          lastError: d.lastError,
        })),
    );
}

/** Dead deliveries counted by destination and last error code, most first. */
export function countDead(items: readonly DeadDelivery[]): { destinationId: string; errorCode: ErrorCode | 'UNKNOWN'; count: number }[] {
  const counts = new Map<string, { destinationId: string; errorCode: ErrorCode | 'UNKNOWN'; count: number }>();
  for (const d of items) {
    const errorCode = d.lastError?.code ?? 'UNKNOWN';
    const key = `${d.destinationId}|${errorCode}`;
    const c = counts.get(key) ?? { destinationId: d.destinationId, errorCode, count: 0 };
    c.count++;
    counts.set(key, c);
  }
  return [...counts.values()].sort((a, b) => b.count - a.count);
}
