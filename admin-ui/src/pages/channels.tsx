import type { Me } from '../api.ts';
import { useApi, useInterval } from '../hooks.ts';
import type { MetricsSummary } from '../types.ts';
import { Badge, ErrorNote, Page } from '../ui.tsx';

export interface ChannelItem {
  id: string;
  description?: string;
  source: { kind: 'mllp' | 'fhir'; host?: string; port?: number | string };
  accept: string[];
  destinations: { id: string; kind: string }[];
  state: 'deployed' | 'paused' | 'undeployed';
  deployedVersion: number | null;
  latestVersion: number;
  /** The MLLP port this engine listens on for the channel, when running. */
  port: number | null;
}

const source = (c: ChannelItem) => (c.source.kind === 'mllp' ? `MLLP ${c.port ?? c.source.port}` : `FHIR /fhir/${c.id}`);

/** Channels of the user's scope: state, versions, the last 15 minutes' counts and the minute of the last message. */
export function Channels({ me }: { me: Me }) {
  const list = useApi<{ items: ChannelItem[] }>('/api/channels');
  const summary = useApi<MetricsSummary>(me.permissions.includes('messages:read') ? '/api/metrics/summary?minutes=15' : undefined);
  useInterval(list.reload, 5000);
  const canWrite = me.permissions.includes('channels:write');
  const figures = (id: string) => {
    const minutes = summary.data?.channels.find((c) => c.channelId === id)?.perMinute ?? [];
    const last = minutes.filter((m) => m.received > 0).at(-1);
    return {
      received: minutes.reduce((n, m) => n + m.received, 0),
      errors: minutes.reduce((n, m) => n + m.errors, 0),
      last: last ? new Date(last.at).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' }) : 'none in 15 min',
    };
  };

  return (
    <Page
      title="Channels"
      actions={
        canWrite && (
          <a class="button" href="/channels/new">
            New channel
          </a>
        )
      }
    >
      <ErrorNote error={list.error} />
      <table class="list">
        <thead>
          <tr>
            <th scope="col">Channel</th>
            <th scope="col">Source</th>
            <th scope="col">Accepts</th>
            <th scope="col">State</th>
            <th scope="col">Version</th>
            <th scope="col">Received (15 min)</th>
            <th scope="col">Errors (15 min)</th>
            <th scope="col">Last message</th>
            <th scope="col">Destinations</th>
          </tr>
        </thead>
        <tbody>
          {list.data?.items.map((c) => {
            const f = figures(c.id);
            return (
              <tr>
                <td>
                  <a href={`/channels/${c.id}`}>{c.id}</a>
                  {c.description && <div class="muted">{c.description}</div>}
                </td>
                <td class="mono">{source(c)}</td>
                <td>{c.accept.join(', ')}</td>
                <td>
                  <Badge value={c.state} />
                </td>
                <td>
                  {c.deployedVersion !== null ? `v${c.deployedVersion}` : '—'}
                  {c.latestVersion !== c.deployedVersion && <span class="muted"> (latest v{c.latestVersion})</span>}
                </td>
                <td>{f.received}</td>
                <td>{f.errors}</td>
                <td>{f.last}</td>
                <td>{c.destinations.map((d) => `${d.id} (${d.kind})`).join(', ')}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {list.data?.items.length === 0 && <p class="empty">No channel yet.</p>}
    </Page>
  );
}
