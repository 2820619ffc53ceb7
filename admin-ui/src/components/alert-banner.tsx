import type { AlertList } from '../alert-types.ts';
import { sinceOf, sinceText, subjectText } from '../alert-types.ts';
import { useApi, useInterval } from '../hooks.ts';
import { when } from '../ui.tsx';

/** How often the shell reads the open alerts again, and how many firing ones it names. */
export const ALERT_BANNER_REFRESH_MS = 5000;
const SHOWN = 5;

/**
 * The banner of the app shell, on every page for users with `alerts:read`: how many alerts are
 * pending and firing, and the firing ones (rule, subject, since when, silenced until), each linking
 * to its page, the whole to the Alerts page. Reads `GET /api/alerts` every 5 s; shows nothing while
 * no alert is open. A failed read is said in one line (the next read may succeed).
 */
export function AlertBanner() {
  const open = useApi<AlertList>('/api/alerts');
  useInterval(open.reload, ALERT_BANNER_REFRESH_MS);
  if (open.error && !open.data) return <p class="alert-banner-error">Alerts could not be read: {open.error.message}</p>;
  const items = open.data?.items ?? [];
  if (items.length === 0) return null;
  const firing = items.filter((a) => a.state === 'firing');
  const pending = items.length - firing.length;
  return (
    <aside class={`alert-banner ${firing.length ? 'has-firing' : 'only-pending'}`} aria-label="Open alerts">
      <p class="alert-banner-count" aria-live="polite">
        <strong>{firing.length} firing</strong>
        {', '}
        {pending} pending · <a href="/alerts">See alerts</a>
      </p>
      {firing.length > 0 && (
        <ul class="alert-banner-list">
          {firing.slice(0, SHOWN).map((a) => (
            <li class={`severity-${a.severity}`}>
              <a href={`/alerts/${encodeURIComponent(a.id)}`}>{a.ruleId}</a> {subjectText(a.subject)}: firing since{' '}
              <time dateTime={sinceOf(a)} title={when(sinceOf(a))}>
                {sinceText(sinceOf(a))}
              </time>
              {a.silencedUntil && [' ', <span class="tag">silenced until {when(a.silencedUntil)}</span>]}
            </li>
          ))}
          {firing.length > SHOWN && <li>and {firing.length - SHOWN} more</li>}
        </ul>
      )}
    </aside>
  );
}
