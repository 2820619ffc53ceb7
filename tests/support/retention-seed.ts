import { messageIdAt } from '../../engine/ids.ts';
import type { MessageRecord } from '../../engine/store/message-record.ts';
import type { MessageStatus } from '../../engine/store/states.ts';
import type { Store } from '../../engine/store/store.ts';

const DAY = 86_400_000;

/** An ADT^A01 with its own control id (and visit number), as the EHR sends it. */
export const adtWithId = (controlId: string): string =>
  `MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315083000||ADT^A01|${controlId}|P|2.5.1\r` +
  `EVN|A01|20260315083000\rPID|1||4711^^^GENHOSP^MR||ROE^RITA\rPV1|1|I|4W${'|'.repeat(16)}V${controlId}\r`;

/** One seeded message: where, in what status, how old, under which control id. */
export interface Seeded {
  id: string;
  channelId: string;
  status: MessageStatus;
  ageDays: number;
  controlId: string;
  receivedAt: Date;
}

/** The deliveries (and error) a message in `status` has, for one destination `erp`. */
function fateOf(status: MessageStatus, id: string, at: Date): Pick<MessageRecord, 'deliveries'> & Partial<MessageRecord> {
  const delivery = (s: 'pending' | 'delivered' | 'dead') => ({
    destinationId: 'erp',
    status: s,
    idempotencyKey: `${id}:erp`,
    sentEvents: s === 'delivered' ? 1 : 0,
    attempts:
      s === 'pending' ? [] : [{ at, attempt: 1, outcome: s === 'dead' ? ('permanent' as const) : ('delivered' as const), durationMs: 5 }],
    ...(s === 'dead' ? { lastError: { code: 'PEER_REJECTED' as const, detail: 'refused' } } : {}),
  });
  switch (status) {
    case 'delivered':
      return { deliveries: { erp: delivery('delivered') } };
    case 'dead':
      return { deliveries: { erp: delivery('dead') } };
    case 'partially-delivered':
      return { deliveries: { erp: delivery('delivered'), billing: { ...delivery('dead'), destinationId: 'billing' } } };
    case 'routed':
      return { deliveries: { erp: delivery('pending') } };
    case 'errored':
    case 'rejected':
      return { deliveries: {}, error: { code: 'TRANSFORM_FAILED', detail: 'PV1-19 missing' } };
    case 'filtered':
      return { deliveries: {}, filteredReason: 'channel filter' };
    case 'received':
      return { deliveries: {} };
    default:
      return status satisfies never;
  }
}

/**
 * Stores `plan`'s messages through the engine's own insert (sealed, with every index-only field:
 * `receivedDay` included), each a copy of `template` (a message the engine stored from the wire)
 * with its own id, control id, raw ADT, time received and fate. 64 at a time.
 */
export async function seedMessages(
  store: Store,
  template: MessageRecord,
  plan: readonly Omit<Seeded, 'id' | 'receivedAt'>[],
  now: number,
): Promise<Seeded[]> {
  const seeded: Seeded[] = [];
  const make = (p: Omit<Seeded, 'id' | 'receivedAt'>, i: number): { record: MessageRecord; seeded: Seeded } => {
    // Spread over the day of its age, a minute apart, so a day holds many minutes.
    const receivedAt = new Date(now - p.ageDays * DAY - (i % 600) * 60_000);
    const id = messageIdAt(receivedAt.getTime());
    const record: MessageRecord = {
      ...template,
      _id: id,
      channelId: p.channelId,
      receivedAt,
      updatedAt: receivedAt,
      dedupeKey: `${p.channelId}|EPIC|GENHOSP|${p.controlId}`,
      raw: Buffer.from(adtWithId(p.controlId)),
      summary: { ...template.summary!, controlId: p.controlId },
      status: p.status,
      ack: { ...template.ack, sentAt: receivedAt },
      ...fateOf(p.status, id, receivedAt),
    };
    delete record.contentHash;
    return { record, seeded: { ...p, id, receivedAt } };
  };
  for (let i = 0; i < plan.length; i += 64) {
    const batch = plan.slice(i, i + 64).map((p, k) => make(p, i + k));
    await Promise.all(batch.map((b) => store.messages.insert(b.record)));
    seeded.push(...batch.map((b) => b.seeded));
  }
  return seeded;
}
