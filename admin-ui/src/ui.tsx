import type { ComponentChildren } from 'preact';

/** A failed request, said plainly (assertive for screen readers). */
export function ErrorNote({ error }: { error: Error | string | undefined }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      {typeof error === 'string' ? error : error.message}
    </p>
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
