import { useCallback, useState } from 'preact/hooks';
import { query, type Me } from '../api.ts';
import { ALERT_STATES, type AlertList, type AlertRuleList, type AlertSilenceList, type AlertState } from '../alert-types.ts';
import { AlertTable } from '../components/alert-table.tsx';
import { SilenceList } from '../components/silence-list.tsx';
import { useApi, useInterval } from '../hooks.ts';
import { useLocation } from '../router.ts';
import { ErrorNote, Page } from '../ui.tsx';

const REFRESH_MS = 5000;
const HISTORY_LIMITS = [50, 200, 500];

/**
 * Alerts: those pending or firing now, the history (every instance, newest first, resolved
 * included; by rule and state), and the silences (active first; ended now by `alerts:write`). All
 * three are read again every 5 s. An alert's own page has its history, notifications and silencing.
 */
export function Alerts({ me }: { me: Me }) {
  const [ruleId, setRuleId] = useState(useLocation().searchParams.get('rule') ?? '');
  const [state, setState] = useState<AlertState | ''>('');
  const [limit, setLimit] = useState(HISTORY_LIMITS[0]!);
  const open = useApi<AlertList>('/api/alerts');
  const history = useApi<AlertList>(`/api/alerts/history${query({ ruleId, state, limit })}`);
  const silences = useApi<AlertSilenceList>('/api/alert-silences');
  const rules = useApi<AlertRuleList>('/api/alert-rules');
  const refresh = useCallback(() => (open.reload(), history.reload(), silences.reload()), []);
  useInterval(refresh, REFRESH_MS);
  const canWrite = me.permissions.includes('alerts:write');

  return (
    <Page
      title="Alerts"
      actions={
        <p class="muted">
          Read again every {REFRESH_MS / 1000} s · <a href="/alert-rules">Alert rules</a>
        </p>
      }
    >
      <ErrorNote error={open.error ?? history.error ?? silences.error} />
      <h2>Now</h2>
      <AlertTable alerts={open.data?.items} caption="Pending and firing alerts" empty="No alert is pending or firing." />
      <h2>History</h2>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <div class="field">
          <label for="alert-rule">Rule</label>
          <select id="alert-rule" value={ruleId} onChange={(e) => setRuleId(e.currentTarget.value)}>
            <option value="">any</option>
            {rules.data?.items.map((r) => (
              <option value={r.id}>{r.id}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="alert-state">State</label>
          <select id="alert-state" value={state} onChange={(e) => setState(e.currentTarget.value as AlertState | '')}>
            <option value="">any</option>
            {ALERT_STATES.map((s) => (
              <option value={s}>{s}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="alert-limit">Show</label>
          <select id="alert-limit" value={String(limit)} onChange={(e) => setLimit(Number(e.currentTarget.value))}>
            {HISTORY_LIMITS.map((n) => (
              <option value={String(n)}>newest {n}</option>
            ))}
          </select>
        </div>
      </form>
      <AlertTable alerts={history.data?.items} caption="Alert history, newest first" empty="No alert matches." />
      <h2>Silences</h2>
      <SilenceList silences={silences.data?.items} canEnd={canWrite} onChanged={silences.reload} />
    </Page>
  );
}
