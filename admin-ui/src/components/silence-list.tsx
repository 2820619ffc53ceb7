import { api } from '../api.ts';
import type { AlertSilenceJson } from '../alert-types.ts';
import { useAction } from '../hooks.ts';
import { ActionOutcome, Badge, when } from '../ui.tsx';

/**
 * Silences, active first (as the API lists them): what each holds (a rule, or one alert of it),
 * until when, why, who made it and who ended it early. With `canEnd` (`alerts:write`) an active
 * one can be ended now (`DELETE /api/alert-silences/:id`, audited); `onChanged` then reads the list again.
 */
export function SilenceList(o: { silences: AlertSilenceJson[] | undefined; canEnd: boolean; onChanged(): void }) {
  const action = useAction(o.onChanged);
  const end = (s: AlertSilenceJson) =>
    void action.run(async () => {
      await api('DELETE', `/api/alert-silences/${encodeURIComponent(s.id)}`);
      return `The silence of ${s.alertId ? `alert ${s.alertId}` : `rule ${s.ruleId}`} has ended.`;
    });
  return (
    <>
      <ActionOutcome action={action} />
      <table class="list silences">
        <caption class="sr-only">Silences</caption>
        <thead>
          <tr>
            <th scope="col">State</th>
            <th scope="col">Silences</th>
            <th scope="col">Until</th>
            <th scope="col">Reason</th>
            <th scope="col">By</th>
            {o.canEnd && (
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {o.silences?.map((s) => (
            <tr>
              <td>
                <Badge value={s.active ? 'active' : 'ended'} />
              </td>
              <td>
                rule <a href={`/alert-rules/${encodeURIComponent(s.ruleId)}`}>{s.ruleId}</a>
                {s.alertId && (
                  <>
                    {', alert '}
                    <a href={`/alerts/${encodeURIComponent(s.alertId)}`}>{s.alertId}</a>
                  </>
                )}
              </td>
              <td>
                {when(s.until)}
                {s.endedAt && <div class="muted">ended {when(s.endedAt)}</div>}
              </td>
              <td>{s.reason}</td>
              <td>
                {s.createdBy}, {when(s.createdAt)}
                {s.endedBy && <div class="muted">ended by {s.endedBy}</div>}
              </td>
              {o.canEnd && (
                <td>
                  {s.active && (
                    <button type="button" class="secondary" disabled={action.busy} onClick={() => end(s)}>
                      End now
                    </button>
                  )}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      {o.silences?.length === 0 && <p class="empty">No silence.</p>}
    </>
  );
}
