import type { ComponentChildren } from 'preact';
import type { Action } from './hooks.ts';

/** A failed request, said plainly (assertive for screen readers). */
export function ErrorNote({ error }: { error: Error | string | undefined }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      {typeof error === 'string' ? error : error.message}
    </p>
  );
}

/** What an operator's last action came to: why it was refused, or what it did (polite, a status). */
export function ActionOutcome({ action }: { action: Pick<Action, 'error' | 'done'> }) {
  return (
    <>
      <ErrorNote error={action.error} />
      {action.done && (
        <p class="ok" role="status">
          {action.done}
        </p>
      )}
    </>
  );
}

/** A state word (message, delivery, ACK code) as a coloured badge; the word itself carries the meaning. */
export function Badge({ value }: { value: string }) {
  return <span class={`badge badge-${value.toLowerCase().replace(/[^a-z]+/g, '-')}`}>{value}</span>;
}

export function Page({ title, actions, children }: { title: string; actions?: ComponentChildren; children: ComponentChildren }) {
  return (
    <section class="page" aria-labelledby="page-title">
      <header class="page-header">
        <h1 id="page-title">{title}</h1>
        {actions}
      </header>
      {children}
    </section>
  );
}

export const when = (d: string | Date | undefined) =>
  d ? new Date(d).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' }) : '';

export const json = (v: unknown) => JSON.stringify(v, null, 2);

/** A value of a diff or a request as one line: a string as is, anything else as JSON, an absent one as `(none)`. */
export const valueText = (v: unknown) => (v === undefined ? '(none)' : typeof v === 'string' ? v : JSON.stringify(v));

/** An age in seconds as `42 s` or `7 min`; `—` for none. */
export const ageText = (s: number | null) => (s === null ? '—' : s < 120 ? `${Math.round(s)} s` : `${Math.round(s / 60)} min`);

/** Seconds from an ISO instant to now; null when there is none. */
export const secondsSince = (iso: string | undefined) => (iso === undefined ? null : Math.max(0, (Date.now() - Date.parse(iso)) / 1000));
