import type { FlowView } from '../flow-types.ts';
import { useApi, useInterval } from '../hooks.ts';
import { ageText, ErrorNote, secondsSince } from '../ui.tsx';

/** Completed of started in the last 24 hours, as a percentage; `—` when none started. */
const completion = (f: FlowView) =>
  f.last24h.started === 0
    ? '—'
    : `${Math.round((100 * f.last24h.completed) / f.last24h.started)} % (${f.last24h.completed} of ${f.last24h.started})`;

/**
 * The dashboard's flows: per deployed flow, the completion rate of the instances started in the
 * last 24 hours and the age of the oldest one not finished (running or stalled). Read again every `refreshMs`.
 */
export function FlowHealth({ refreshMs }: { refreshMs: number }) {
  const { data, error, reload } = useApi<{ flows: FlowView[] }>('/api/flows');
  useInterval(reload, refreshMs);
  return (
    <>
      <h2>Flows</h2>
      <ErrorNote error={error} />
      <table class="list flow-health">
        <thead>
          <tr>
            <th scope="col">Flow</th>
            <th scope="col">Completed, last 24 h</th>
            <th scope="col">Oldest unfinished</th>
          </tr>
        </thead>
        <tbody>
          {data?.flows.map((f) => (
            <tr>
              <td>
                <a href={`/flows?flow=${encodeURIComponent(f.id)}`}>{f.id}</a>
              </td>
              <td>{completion(f)}</td>
              <td>{ageText(secondsSince(f.oldestUnsettledAt))}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {data?.flows.length === 0 && <p class="empty">No flow is deployed.</p>}
    </>
  );
}
