import type { ChannelDefinition } from '../channel.ts';
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

/** Changed leaf paths between two values: `{ path, before, after }` (JSON text; absent is null). */
export function diffValues(before: unknown, after: unknown): { path: string; before: string | null; after: string | null }[] {
  const a = flatten(before, '', {});
  const b = flatten(after, '', {});
  return [...new Set([...Object.keys(a), ...Object.keys(b)])]
    .sort()
    .filter((p) => a[p] !== b[p])
    .map((p) => ({ path: p, before: a[p] ?? null, after: b[p] ?? null }));
}

/**
 * Audits a channel's new version as `config.change`, with the diff from the version before; `before` and `after` come masked
 * (ChannelStore.shown).
 */
export async function auditChannelVersion(o: {
  audit: AuditLog;
  actor: string;
  channelId: string;
  version: number;
  origin: string;
  before?: ChannelDefinition;
  after: ChannelDefinition;
  sourceIp?: string;
}): Promise<void> {
  const diff = diffValues(o.before ?? {}, o.after);
  await o.audit.append({
    actor: o.actor,
    action: AuditAction.configChange,
    outcome: 'success',
    target: `channel:${o.channelId}@${o.version}`,
    details: { origin: o.origin, diff: diff.slice(0, 500), changes: diff.length },
    ...(o.sourceIp ? { sourceIp: o.sourceIp } : {}),
  });
}
