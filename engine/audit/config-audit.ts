import type { ChannelDefinition } from '../channel.ts';
import { storeCall, type MongoStore } from '../store/mongo-store.ts';
import { redactSecrets } from '../http/channels.routes.ts';
import { findDestinationConnector } from '../../connectors/index.ts';
import { AuditAction, type AuditLog } from './audit-log.ts';

type Flat = Record<string, string>;

function flatten(value: unknown, path: string, out: Flat): Flat {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, path ? `${path}.${k}` : k, out);
  } else if (value !== undefined) {
    out[path] = JSON.stringify(value);
  }
  return out;
}

/** The channels as they are audited: secrets masked, keyed by channel id. */
export function channelSnapshot(channels: readonly ChannelDefinition[]): Record<string, unknown> {
  return Object.fromEntries(
    channels.map((c) => [
      c.id,
      {
        ...c,
        source: c.source.kind === 'fhir' ? { ...c.source, tokens: (c.source.tokens ?? []).map(() => '********') } : c.source,
        destinations: Object.fromEntries(c.destinations.map((d) => [d.id, { ...d, config: redactSecrets(d.config, findDestinationConnector(d.kind)?.secrets ?? []) }])),
      },
    ]),
  );
}

/** Changed leaf paths between two snapshots: `{ path, before, after }` (JSON text; absent is null). */
export function diffSnapshots(before: unknown, after: unknown): { path: string; before: string | null; after: string | null }[] {
  const a = flatten(before, '', {});
  const b = flatten(after, '', {});
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].sort().filter((p) => a[p] !== b[p]).map((p) => ({ path: p, before: a[p] ?? null, after: b[p] ?? null }));
}

/**
 * At start, compares the channels being deployed with the last deployed ones and audits the
 * difference as `config.change` (actor `system`, secrets masked), so a change made in channels/
 * and deployed from git is in the audit log like one made in the console.
 */
export async function auditChannelChanges(o: { store: MongoStore; audit: AuditLog; channels: readonly ChannelDefinition[] }): Promise<void> {
  const settings = o.store.collection<{ _id: string; value: string }>('settings');
  const current = channelSnapshot(o.channels);
  const stored = await storeCall(() => settings.findOne({ _id: 'channels-snapshot' }));
  const diff = diffSnapshots(stored ? JSON.parse(stored.value) : {}, JSON.parse(JSON.stringify(current)));
  if (diff.length === 0) return;
  await o.audit.append({ actor: 'system', action: AuditAction.configChange, outcome: 'success', target: 'channels', details: { diff: diff.slice(0, 500), changes: diff.length } });
  await storeCall(() => settings.replaceOne({ _id: 'channels-snapshot' }, { value: JSON.stringify(current) }, { upsert: true }));
}
