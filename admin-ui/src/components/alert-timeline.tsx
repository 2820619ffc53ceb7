import type { AlertNotificationJson, AlertTransitionJson } from '../alert-types.ts';
import { Badge, when } from '../ui.tsx';

/** An alert's state history, oldest first: each state it entered, when, and the value observed then. */
export function AlertTransitions({ history }: { history: AlertTransitionJson[] }) {
  return (
    <table class="list alert-transitions">
      <caption class="sr-only">State history</caption>
      <thead>
        <tr>
          <th scope="col">State</th>
          <th scope="col">When</th>
          <th scope="col">Value</th>
        </tr>
      </thead>
      <tbody>
        {history.map((h) => (
          <tr>
            <td>
              <Badge value={h.state} />
            </td>
            <td>{when(h.at)}</td>
            <td class="mono">{h.value ?? '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * An alert's notifications: why each was made (fired, resolved, repeat), where it went (webhook,
 * e-mail), its outcome (sent, retrying, failed, suppressed by a silence), how many tries, and the
 * error code of the last failure. The console itself is not listed: it always shows the alert.
 */
export function AlertNotifications({ notifications }: { notifications: AlertNotificationJson[] }) {
  if (notifications.length === 0) return <p class="empty">No notification was made (none configured, or it has not fired).</p>;
  return (
    <table class="list alert-notifications">
      <caption class="sr-only">Notifications</caption>
      <thead>
        <tr>
          <th scope="col">Event</th>
          <th scope="col">Channel</th>
          <th scope="col">Outcome</th>
          <th scope="col">Attempts</th>
          <th scope="col">When</th>
          <th scope="col">Error</th>
        </tr>
      </thead>
      <tbody>
        {notifications.map((n) => (
          <tr>
            <td>{n.event}</td>
            <td>{n.channel === 'email' ? 'e-mail' : n.channel}</td>
            <td>
              <Badge value={n.outcome} />
            </td>
            <td>{n.attempts}</td>
            <td>{when(n.at)}</td>
            <td>{n.code ? <code>{n.code}</code> : '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
