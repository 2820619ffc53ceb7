import { ErrorNote, json } from '../ui.tsx';

export interface FieldError {
  event: number;
  target: string;
  source: string;
  value?: string;
  reason: string;
}

export type Outcome = { events: unknown[] } | { errors: FieldError[] } | { problem: Error };

/** What the test bench answered: the canonical events, every field error, or why it could not run. */
export function OutcomeView({ o }: { o: Outcome }) {
  if ('problem' in o) return <ErrorNote error={o.problem} />;
  if ('events' in o)
    return (
      <section aria-labelledby="out-title">
        <h2 id="out-title">Canonical output ({o.events.length})</h2>
        <pre class="code canonical">{json(o.events)}</pre>
      </section>
    );
  return (
    <section aria-labelledby="err-title" role="alert">
      <h2 id="err-title">Field errors ({o.errors.length})</h2>
      <table class="list">
        <thead>
          <tr>
            <th scope="col">Event</th>
            <th scope="col">Target</th>
            <th scope="col">Source</th>
            <th scope="col">Value</th>
            <th scope="col">Reason</th>
          </tr>
        </thead>
        <tbody>
          {o.errors.map((e) => (
            <tr>
              <td>{e.event}</td>
              <td class="mono">{e.target}</td>
              <td class="mono">{e.source}</td>
              <td class="mono">{e.value}</td>
              <td>{e.reason}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
