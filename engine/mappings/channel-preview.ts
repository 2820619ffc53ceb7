import type { ChannelDefinition } from '../channel.ts';
import { SwitchboardError } from '../errors.ts';
import { diffEvents, type ReplayChange } from '../replay/replay-diff.ts';
import { planRoute, storedInput } from '../routing.ts';
import { maskCanonical } from '../security/masking.ts';
import type { CanonicalEvent, MessageRecord, RoutePlan } from '../store/message-record.ts';
import type { Store } from '../store/store.ts';
import type { Transform } from '../../transforms/dsl/define-transform.ts';

/** The most stored messages one preview reads. */
export const PREVIEW_MAX = 1000;

/** One message whose outcome the draft changes: its status and events before and after, field by field. */
export interface PreviewChange {
  messageId: string;
  receivedAt: Date;
  status: { before: string; after: string };
  /** Why it fails under the draft (errored), naming fields, never values. */
  error?: string;
  diff: ReplayChange['diff'];
}

export interface ChannelPreview {
  examined: number;
  /** Messages whose status or events differ, newest first. */
  changed: PreviewChange[];
  /** How many of them now fail (errored under the draft, not before). */
  nowFailing: number;
  /** Lookups that found no row under the draft: each table and key, with how many messages met it. */
  lookupMisses: { table: string; key: string; count: number }[];
}

/**
 * Runs a draft channel version against the channel's last `limit` stored messages (at most
 * PREVIEW_MAX), beside the version it runs now (`current`, both made runnable by the caller), and
 * lists exactly the messages whose outcome would change: their status, and their canonical events
 * leaf by leaf (replay-diff.ts). Nothing is stored or sent. `masked`: values of the PHI data
 * classes are masked in the diff (a caller without the PHI permission).
 */
export async function previewChannel(o: {
  store: Store;
  transforms: ReadonlyMap<string, Transform>;
  current: ChannelDefinition;
  draft: ChannelDefinition;
  limit: number;
  masked: boolean;
}): Promise<ChannelPreview> {
  const result: ChannelPreview = { examined: 0, changed: [], nowFailing: 0, lookupMisses: [] };
  const misses = new Map<string, { table: string; key: string; count: number }>();
  for await (const message of lastMessages(o.store, o.current.id, Math.min(o.limit, PREVIEW_MAX))) {
    result.examined++;
    // Read once for both versions; a message that no longer parses fails alike under both: unchanged.
    const read = readStored(message, o.current.id);
    if (!read) continue;
    const plan = (channel: ChannelDefinition) => planRoute({ channel, transforms: o.transforms, messageId: message._id, ...read });
    const before = plan(o.current);
    const after = plan(o.draft);
    if (after.status === 'errored') {
      // Once per message, however many fields looked the key up.
      const seen = new Map(lookupMissesOf(o.draft, o.transforms, read).map((m) => [`${m.table}\0${m.key}`, m]));
      for (const m of seen.values()) count(misses, m);
    }
    const events = (p: RoutePlan): CanonicalEvent[] => ('events' in p ? (o.masked ? maskCanonical(p.events) : p.events) : []);
    const diff = diffEvents(events(before), events(after));
    if (diff.length === 0 && before.status === after.status) continue;
    if (after.status === 'errored' && before.status !== 'errored') result.nowFailing++;
    result.changed.push({
      messageId: message._id,
      receivedAt: message.receivedAt,
      status: { before: before.status, after: after.status },
      ...(after.status === 'errored' ? { error: after.error.message } : {}),
      diff,
    });
  }
  result.lookupMisses = [...misses.values()].sort((a, b) => b.count - a.count || a.table.localeCompare(b.table));
  return result;
}

type StoredInput = ReturnType<typeof storedInput>;

/** The message as transforms read it, or undefined when it no longer parses. */
function readStored(message: MessageRecord, channelId: string): StoredInput | undefined {
  try {
    return storedInput(message, channelId);
  } catch {
    return undefined;
  }
}

/** The lookups of the draft's transforms that found no row for this message (table and key). */
function lookupMissesOf(channel: ChannelDefinition, transforms: ReadonlyMap<string, Transform>, { input, type, source }: StoredInput) {
  return channel.transforms
    .map((id) => transforms.get(id))
    .filter((t): t is Transform => t !== undefined && t.input === input.kind && t.accepts.includes(type))
    .flatMap((t) => t.tryRun(input, source).errors)
    .filter((e) => e.table !== undefined)
    .map((e) => ({ table: e.table!, key: e.value ?? '' }));
}

function count(misses: Map<string, { table: string; key: string; count: number }>, m: { table: string; key: string }): void {
  const k = `${m.table}\0${m.key}`;
  const seen = misses.get(k);
  if (seen) seen.count++;
  else misses.set(k, { ...m, count: 1 });
}

/** The channel's newest `limit` messages with their content, a page of 100 at a time. */
async function* lastMessages(store: Store, channelId: string, limit: number): AsyncGenerator<MessageRecord> {
  let before: string | undefined;
  let left = limit;
  while (left > 0) {
    const page = await store.messages.list({ channelId, limit: Math.min(100, left), ...(before ? { before } : {}) });
    if (page.length === 0) return;
    const byId = new Map((await store.messages.getMany(page.map((p) => p._id))).map((m) => [m._id, m]));
    for (const p of page) {
      const m = byId.get(p._id);
      if (m) yield m;
    }
    left -= page.length;
    before = page.at(-1)!._id;
  }
}

/**
 * The preview behind `POST /api/channels/:id/preview`: the draft made runnable (its pinned mappings
 * compiled) and compared with the version running in this process. CONFLICT when the channel does
 * not run here (there is nothing to compare with); CONFIG_INVALID naming a bad pin.
 */
export class ChannelPreviewer {
  constructor(
    private readonly o: {
      store: Store;
      /** The engine's transform registry (shipped transforms and resolved mappings). */
      transforms: ReadonlyMap<string, Transform>;
      runnable: (channel: ChannelDefinition) => Promise<ChannelDefinition>;
      /** The runnable channel deployed in this process, by id. */
      deployed: (channelId: string) => ChannelDefinition | undefined;
    },
  ) {}

  async preview(draft: ChannelDefinition, limit: number, masked: boolean): Promise<ChannelPreview> {
    const current = this.o.deployed(draft.id);
    if (!current) throw new SwitchboardError('CONFLICT', `channel ${draft.id} is not running: deploy it to compare a draft with it`);
    const runnable = await this.o.runnable(draft);
    return previewChannel({ store: this.o.store, transforms: this.o.transforms, current, draft: runnable, limit, masked });
  }
}
