import { AuditAction, type AuditLog } from '../audit/audit-log.ts';
import { SwitchboardError } from '../errors.ts';
import { MASK } from '../security/masking.ts';
import { inScope, type Principal } from '../security/roles.ts';
import type { Store } from '../store/store.ts';
import type { ReplaySelection } from '../store/message-record.ts';
import type { Replayer } from './replayer.ts';
import type { DryRunResult, ReplayStarted } from './replay-types.ts';

/** What a replay selects besides message ids: the filter of `POST /api/replays` and `switchboard replay`. */
export type ReplayFilter = Omit<ReplaySelection, 'messageIds'>;

export interface ReplayAsk {
  principal: Principal;
  messageIds?: string[];
  filter?: ReplayFilter;
  reason: string;
  dryRun: boolean;
  /** The caller's address for the audit log (none from the command line). */
  sourceIp?: string;
}

/**
 * Asks `replayer` for a replay on behalf of `principal` and audits it (action `replay`, with the
 * reason and selection). Called by `POST /api/replays` and `switchboard replay`.
 * A scoped principal must name one of their channels in a filter (FORBIDDEN) and may not name
 * another channel's message (NOT_FOUND, audited as denied). A dry run's diff keeps its values only
 * for a principal with the PHI permission, else the paths alone. Replayer errors pass through
 * (BAD_REQUEST without a reason or selection, CONFLICT while stopping, STORE_UNAVAILABLE).
 */
export async function requestReplay(
  o: { store: Store; replayer: Replayer; audit: AuditLog },
  ask: ReplayAsk,
): Promise<DryRunResult | ReplayStarted> {
  const { principal: p, messageIds, filter, reason, dryRun } = ask;
  const ip = ask.sourceIp !== undefined ? { sourceIp: ask.sourceIp } : {};
  if (p.channels !== '*') {
    if (filter && (!filter.channel || !inScope(p, filter.channel)))
      throw new SwitchboardError('FORBIDDEN', 'name one of your channels in the filter');
    for (const id of messageIds ?? []) {
      const m = await o.store.messages.get(id);
      if (m && !inScope(p, m.channelId)) {
        await o.audit.append({
          actor: p.username,
          action: AuditAction.denied,
          outcome: 'denied',
          target: `message:${id}`,
          details: { why: 'replay outside the user scope' },
          ...ip,
        });
        throw new SwitchboardError('NOT_FOUND', `no message ${id}`);
      }
    }
  }
  const selection: ReplaySelection = { ...filter, ...(messageIds ? { messageIds } : {}) };
  const result = await o.replayer.request({ selection, reason, dryRun, requestedBy: p.username });
  await o.audit.append({
    actor: p.username,
    action: AuditAction.replay,
    outcome: 'success',
    target: `replay:${result.replayId}`,
    details: { reason, dryRun, selection: messageIds ? { ...filter, messages: messageIds.length } : filter, deliveries: result.deliveries },
    ...ip,
  });
  if (!result.dryRun || p.phi) return result;
  // A dry run's diff holds event values: without the PHI permission, the paths only.
  return {
    ...result,
    changes: result.changes.map((c) => ({ ...c, diff: c.diff.map((d) => ({ path: d.path, before: MASK, after: MASK })) })),
  };
}
