import type { AlertInstanceJson } from '../alert-types.ts';
import { subjectText } from '../alert-types.ts';
import { Badge, when } from '../ui.tsx';

/**
 * Alert instances, one row each: state (and silence), rule, subject, the one-line summary, the
 * observed value against the threshold, and when it started, fired and resolved. The rule links to
 * the alert's own page (its history and notifications). Used by the Alerts page for the open ones
 * and for the history, under a heading of its own: `caption` names the table for screen readers;
 * `empty` is said when there are none.
 */
export function AlertTable({ alerts, caption, empty }: { alerts: AlertInstanceJson[] | undefined; caption: string; empty: string }) {
  return (
    <>
      <table class="list alerts">
        <caption class="sr-only">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">State</th>
            <th scope="col">Alert</th>
            <th scope="col">Subject</th>
            <th scope="col">Summary</th>
            <th scope="col">Value / threshold</th>
            <th scope="col">Started</th>
            <th scope="col">Fired</th>
            <th scope="col">Resolved</th>
          </tr>
        </thead>
        <tbody>
          {alerts?.map((a) => (
            <tr>
              <td>
                <Badge value={a.state} /> <span class={`severity severity-${a.severity}`}>{a.severity}</span>
                {a.silencedUntil && a.state !== 'resolved' && <div class="muted">silenced until {when(a.silencedUntil)}</div>}
              </td>
              <td>
                <a href={`/alerts/${encodeURIComponent(a.id)}`}>{a.ruleId}</a>
                <div class="muted">
                  {a.kind}, v{a.ruleVersion}
                </div>
              </td>
              <td>{subjectText(a.subject)}</td>
              <td>{a.summary}</td>
              <td class="mono">
                {a.value ?? '—'} / {a.threshold ?? '—'}
              </td>
              <td>{when(a.startedAt)}</td>
              <td>{a.firedAt ? when(a.firedAt) : '—'}</td>
              <td>{a.resolvedAt ? when(a.resolvedAt) : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {alerts?.length === 0 && <p class="empty">{empty}</p>}
    </>
  );
}
