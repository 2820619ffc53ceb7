import type { Me } from '../api.ts';
import type { InstanceDetail } from '../flow-types.ts';
import { Badge, when } from '../ui.tsx';

/**
 * An instance's facts: status (and how often it is read again, while it is), flow, message and
 * channel, when it started and last changed, and who aborted it, why.
 */
export function InstanceFacts({ i, me, refreshMs }: { i: InstanceDetail; me: Me; refreshMs: number | undefined }) {
  return (
    <dl class="facts">
      <dt>Status</dt>
      <dd>
        <Badge value={i.status} />
        {refreshMs !== undefined && <span class="muted"> (read again every {refreshMs / 1000} s)</span>}
      </dd>
      <dt>Flow</dt>
      <dd>
        {i.flowId} v{i.flowVersion}: {i.flow.description}
      </dd>
      <dt>Message</dt>
      <dd class="mono">
        {me.permissions.includes('messages:read') ? (
          <a href={`/messages/${encodeURIComponent(i.messageId)}`}>{i.messageId}</a>
        ) : (
          i.messageId
        )}{' '}
        <span class="muted">from {i.channelId}</span>
      </dd>
      <dt>Started</dt>
      <dd>{when(i.createdAt)}</dd>
      <dt>Updated</dt>
      <dd>{when(i.updatedAt)}</dd>
      {i.abort && <dt>Aborted</dt>}
      {i.abort && (
        <dd>
          by {i.abort.by} at {when(i.abort.at)}: {i.abort.reason}
        </dd>
      )}
    </dl>
  );
}
