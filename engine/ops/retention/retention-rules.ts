import { createHash } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import { MessageStatus } from '../../store/states.ts';
import { DAY_MS } from '../../durations.ts';

const DAYS = { minimum: 1, maximum: 36_500 } as const;

/** What retention makes of a message status. */
export const RetentionClass = {
  /** Still has work to do (received, routed): never pruned, whatever its age. */
  unsettled: 'unsettled',
  /** Settled with nothing wrong: delivered, or filtered (sent nowhere on purpose). */
  delivered: 'delivered',
  /** Settled with something wrong: errored, dead, partially delivered, rejected. Kept at least the floor. */
  failed: 'failed',
} as const;
export type RetentionClass = (typeof RetentionClass)[keyof typeof RetentionClass];

/** The statuses a message can be pruned in (every settled one). */
export const SETTLED_STATUSES = [
  MessageStatus.delivered,
  MessageStatus.filtered,
  MessageStatus.partiallyDelivered,
  MessageStatus.dead,
  MessageStatus.errored,
  MessageStatus.rejected,
] as const;
export type SettledStatus = (typeof SETTLED_STATUSES)[number];

export function retentionClassOf(status: MessageStatus): RetentionClass {
  switch (status) {
    case 'received':
    case 'routed':
      return RetentionClass.unsettled;
    case 'delivered':
    case 'filtered':
      return RetentionClass.delivered;
    case 'partially-delivered':
    case 'dead':
    case 'errored':
    case 'rejected':
      return RetentionClass.failed;
    default:
      return status satisfies never;
  }
}

/**
 * A channel's own retention (the optional `retention` block of its definition, channel-schema.ts):
 * days per class, and per status where one status needs its own figure (`filtered: 7`). Failed
 * statuses never go below RETENTION_FAILED_DAYS, the floor. What it leaves out follows the global
 * settings.
 */
export const ChannelRetentionSchema = Type.Object(
  {
    deliveredDays: Type.Optional(Type.Integer({ ...DAYS, description: 'days delivered and filtered messages are kept' })),
    failedDays: Type.Optional(
      Type.Integer({ ...DAYS, description: 'days failed messages are kept; never fewer than RETENTION_FAILED_DAYS' }),
    ),
    byStatus: Type.Optional(
      Type.Partial(
        Type.Object(
          Object.fromEntries(SETTLED_STATUSES.map((s) => [s, Type.Integer(DAYS)])) as Record<
            SettledStatus,
            ReturnType<typeof Type.Integer>
          >,
        ),
        { additionalProperties: false, description: 'days per settled status, over the class figures' },
      ),
    ),
  },
  { additionalProperties: false, description: 'how long this channel keeps its messages (issue 25); absent: the global settings' },
);
export type ChannelRetention = Static<typeof ChannelRetentionSchema>;

/** The global settings (retention-config.ts): days per class; undefined keeps forever. */
export interface GlobalRetention {
  deliveredDays?: number | undefined;
  failedDays?: number | undefined;
}

/**
 * Days a settled message of `status` is kept on a channel with `channel` retention, or undefined
 * when it is kept forever; `unsettled` for a status still in flight (never pruned). Failed statuses
 * are raised to the global failed figure, the floor.
 */
export function retentionDays(
  status: MessageStatus,
  channel: ChannelRetention | undefined,
  global: GlobalRetention,
): number | 'unsettled' | undefined {
  const klass = retentionClassOf(status);
  if (klass === RetentionClass.unsettled) return 'unsettled';
  const own =
    channel?.byStatus?.[status as SettledStatus] ?? (klass === RetentionClass.delivered ? channel?.deliveredDays : channel?.failedDays);
  if (klass === RetentionClass.delivered) return own ?? global.deliveredDays;
  const floor = global.failedDays;
  if (own === undefined) return floor;
  return floor === undefined ? own : Math.max(own, floor);
}

/** What pruning does with one message now. */
export type PruneDecision = 'prune' | 'young' | 'forever' | 'unsettled';

export function decide(
  m: { status: MessageStatus; receivedAt: Date },
  channel: ChannelRetention | undefined,
  global: GlobalRetention,
  now: number,
): PruneDecision {
  const days = retentionDays(m.status, channel, global);
  if (days === 'unsettled') return 'unsettled';
  if (days === undefined) return 'forever';
  return m.receivedAt.getTime() < daysBefore(now, days) ? 'prune' : 'young';
}

/**
 * One figure of days in use and the rules that use it: the pruner walks the received days once for
 * each horizon (up to `now - days`), keeping its own cursor. `key` names the figure and who
 * uses it (a hash of the `channel:status` pairs of every channel known, and `*:status` for channels
 * not known yet): when a channel's status joins or leaves a figure (a channel's block changed, a
 * channel was added), the key changes and that walk starts again from the oldest message, so no
 * message is left behind a cursor that passed it under an earlier rule. The price: a rule change
 * or a new channel costs one more walk of the whole history (one indexed query per day).
 */
export interface Horizon {
  days: number;
  key: string;
}

export function horizonsOf(channels: ReadonlyMap<string, ChannelRetention | undefined>, global: GlobalRetention): Horizon[] {
  const users = new Map<number, string[]>();
  const use = (days: number | 'unsettled' | undefined, who: string) => {
    if (typeof days === 'number') users.set(days, [...(users.get(days) ?? []), who]);
  };
  for (const status of SETTLED_STATUSES) {
    use(retentionDays(status, undefined, global), `*:${status}`);
    for (const [id, r] of channels) use(retentionDays(status, r, global), `${id}:${status}`);
  }
  return [...users]
    .sort(([a], [b]) => a - b)
    .map(([days, who]) => ({ days, key: `${days}d-${createHash('sha256').update(who.sort().join(',')).digest('hex').slice(0, 12)}` }));
}

/**
 * The received days (`YYYY-MM-DD`, UTC) a horizon walks next: from `from` on, each day that ends at
 * or before `until` (epoch ms: only whole days older than the cut-off, so a message is pruned within
 * a day after its figure), at most `max`.
 */
export function daysToWalk(from: string, until: number, max: number): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00.000Z`); t + DAY_MS <= until && out.length < max; t += DAY_MS)
    out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

/** The last whole day (`YYYY-MM-DD`, UTC) that ends at or before `until` (epoch ms). */
export const lastWholeDay = (until: number): string => new Date(Math.floor(until / DAY_MS) * DAY_MS - DAY_MS).toISOString().slice(0, 10);

/** The day after `day` (`YYYY-MM-DD`). */
export const nextDay = (day: string): string => new Date(Date.parse(`${day}T00:00:00.000Z`) + DAY_MS).toISOString().slice(0, 10);

/** The instant `days` whole days before `now`: what is older is past its figure. */
export const daysBefore = (now: number, days: number): number => now - days * DAY_MS;

/** The cut-off of a horizon at `now`: messages received before it are old enough for its figure. */
export const horizonCutoff = (h: Horizon, now: number): number => daysBefore(now, h.days);
