import type { AlertInstanceJson, AlertState } from './alert-api-types.ts';
import type { AlertInstanceStore } from './alert-instance-store.ts';
import { instanceJson } from './alert-json.ts';
import type { AlertInstanceRecord } from './alert-records.ts';

/** Which alerts a caller sees (its channel scope, a state asked for); every one by default. */
type Keep = (a: AlertInstanceRecord) => boolean;
const every: Keep = () => true;

/**
 * The alerts pending or firing now, newest first, each with its notifications: what `GET
 * /api/alerts` and `switchboard alerts list` show. `keep` filters before the notifications are read.
 */
export async function openAlertViews(instances: AlertInstanceStore, keep: Keep = every, now = new Date()): Promise<AlertInstanceJson[]> {
  const [open, silences] = await Promise.all([instances.open(), instances.allSilences()]);
  const shown = open.filter(keep).sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime());
  const notes = await Promise.all(shown.map((a) => instances.notificationsOf(a._id)));
  return shown.map((a, i) => instanceJson(a, { silences, notifications: notes[i]!, now }));
}

/**
 * Alerts newest first, resolved ones included, without notifications: what `GET
 * /api/alerts/history` and `switchboard alerts history` show (at most MAX_HISTORY).
 */
export async function alertHistoryViews(
  instances: AlertInstanceStore,
  query: { ruleId?: string | undefined; state?: AlertState | undefined; limit: number },
  keep: Keep = every,
  now = new Date(),
): Promise<AlertInstanceJson[]> {
  const { ruleId, state, limit } = query;
  const [found, silences] = await Promise.all([
    instances.history({ limit, ...(ruleId ? { ruleId } : {}), ...(state ? { state } : {}) }),
    instances.allSilences(),
  ]);
  return found.filter(keep).map((a) => instanceJson(a, { silences, now }));
}
