import { query } from '../api.ts';
import { FLOW_STATUSES, type FlowView } from '../flow-types.ts';
import { ageText, secondsSince } from '../ui.tsx';

/**
 * The deployed flows: id and version, description, trigger, its instances by status (each count a
 * link to those instances) and the age of the oldest one not settled.
 */
export function FlowTable({ flows }: { flows: readonly FlowView[] }) {
  return (
    <table class="list flows">
      <caption>Deployed flows</caption>
      <thead>
        <tr>
          <th scope="col">Flow</th>
          <th scope="col">Description</th>
          <th scope="col">Trigger</th>
          <th scope="col">Instances</th>
          <th scope="col">Oldest unsettled</th>
        </tr>
      </thead>
      <tbody>
        {flows.map((f) => (
          <tr>
            <td>
              {f.id} <span class="muted">v{f.version}</span>
            </td>
            <td>{f.description}</td>
            <td>
              {f.trigger.model} <span class="muted">from</span> {f.trigger.channelId}
            </td>
            <td>
              <div class="statuses">
                {FLOW_STATUSES.filter((s) => f.counts[s] > 0).map((s) => (
                  <a href={`/flows${query({ flow: f.id, status: s })}`} aria-label={`${f.id}: ${f.counts[s]} ${s}`}>
                    <span class={`badge badge-${s}`}>
                      {s} {f.counts[s]}
                    </span>
                  </a>
                ))}
                {FLOW_STATUSES.every((s) => f.counts[s] === 0) && <span class="muted">none</span>}
              </div>
            </td>
            <td>{ageText(secondsSince(f.oldestUnsettledAt))}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
