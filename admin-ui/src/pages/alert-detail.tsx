import { useState } from 'preact/hooks';
import type { Me } from '../api.ts';
import type { AlertInstanceJson, AlertSilenceList } from '../alert-types.ts';
import { AlertFacts } from '../components/alert-facts.tsx';
import { AlertNotifications, AlertTransitions } from '../components/alert-timeline.tsx';
import { SilenceForm } from '../components/silence-form.tsx';
import { SilenceList } from '../components/silence-list.tsx';
import { useApi, useInterval } from '../hooks.ts';
import { ErrorNote, Page, when } from '../ui.tsx';

/** How often an alert that is not resolved is read again. */
const REFRESH_MS = 3000;

/**
 * One alert instance: its facts, its state history, its notifications with the outcome per channel,
 * and the silences of its rule. With `alerts:write`, an alert not yet resolved is silenced here (this
 * alert or its whole rule, until a time, with a reason) and a silence can be ended now. Read again
 * every 3 s until it resolves.
 */
export function AlertDetail({ id, me }: { id: string; me: Me }) {
  const alert = useApi<AlertInstanceJson>(`/api/alerts/${encodeURIComponent(id)}`);
  const silences = useApi<AlertSilenceList>('/api/alert-silences');
  const [silencing, setSilencing] = useState(false);
  const [silenced, setSilenced] = useState<string>();
  const a = alert.data;
  const open = a !== undefined && a.state !== 'resolved';
  useInterval(alert.reload, REFRESH_MS, open);
  const canWrite = me.permissions.includes('alerts:write');
  const ofRule = silences.data?.items.filter((s) => a && s.ruleId === a.ruleId && (s.alertId === null || s.alertId === a.id));

  return (
    <Page
      title={`Alert ${a ? a.ruleId : id}`}
      actions={
        canWrite &&
        open &&
        !silencing && (
          <button type="button" onClick={() => (setSilencing(true), setSilenced(undefined))}>
            Silence…
          </button>
        )
      }
    >
      <p>
        <a href="/alerts">← Alerts</a>
        {a && (
          <>
            {' · '}
            <a href={`/alert-rules/${encodeURIComponent(a.ruleId)}`}>Rule {a.ruleId}</a>
          </>
        )}
      </p>
      <ErrorNote error={alert.error ?? silences.error} />
      {silenced && (
        <p class="ok" role="status">
          {silenced}
        </p>
      )}
      {a && silencing && (
        <SilenceForm
          ruleId={a.ruleId}
          alertId={a.id}
          onCancel={() => setSilencing(false)}
          onDone={(s) => {
            setSilencing(false);
            setSilenced(`Silenced ${s.alertId ? 'this alert' : `every alert of rule ${s.ruleId}`} until ${when(s.until)}.`);
            alert.reload();
            silences.reload();
          }}
        />
      )}
      {a && <AlertFacts a={a} />}
      {a && (
        <>
          <h2>State history</h2>
          <AlertTransitions history={a.history} />
          <h2>Notifications</h2>
          <AlertNotifications notifications={a.notifications} />
        </>
      )}
      <h2>Silences of this alert and its rule</h2>
      <SilenceList silences={ofRule} canEnd={canWrite} onChanged={() => (silences.reload(), alert.reload())} />
    </Page>
  );
}
