import type { InstanceSummary } from '../flow-types.ts';
import { Badge, when } from '../ui.tsx';
import { StepStrip } from './step-strip.tsx';

/** Flow instances as listed: when each started (a link to it), its flow, status, steps as a strip, last change and message. */
export function InstanceTable({ instances }: { instances: readonly InstanceSummary[] }) {
  return (
    <table class="list instances">
      <caption class="sr-only">Flow instances, newest first</caption>
      <thead>
        <tr>
          <th scope="col">Started</th>
          <th scope="col">Flow</th>
          <th scope="col">Status</th>
          <th scope="col">Steps</th>
          <th scope="col">Updated</th>
          <th scope="col">Message</th>
        </tr>
      </thead>
      <tbody>
        {instances.map((i) => (
          <tr key={i.id}>
            <td>
              <a href={`/flows/instances/${encodeURIComponent(i.id)}`}>{when(i.createdAt)}</a>
            </td>
            <td>
              {i.flowId} <span class="muted">v{i.flowVersion}</span>
            </td>
            <td>
              <Badge value={i.status} />
            </td>
            <td>
              <StepStrip steps={i.steps} />
            </td>
            <td>{when(i.updatedAt)}</td>
            <td class="mono">
              <a href={`/messages/${encodeURIComponent(i.messageId)}`}>{i.messageId}</a>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
