import { useEffect, useState } from 'preact/hooks';
import { query, type Me } from '../api.ts';
import { ReplayPanel } from '../components/replay-panel.tsx';
import { useApi } from '../hooks.ts';
import type { MessageSummary } from '../types.ts';
import { ErrorNote, Page, when } from '../ui.tsx';

interface Group {
  destinationId: string;
  errorCode: string;
  count: number;
}

interface DeadItem {
  messageId: string;
  channelId: string;
  receivedAt: string;
  summary?: MessageSummary;
  destinationId: string;
  attempts: number;
  lastError?: { code: string; detail: string; response?: string };
}

/** Dead deliveries grouped by destination and error code; a group's deliveries; bulk replay for those who may. */
export function DeadLetters({ me }: { me: Me }) {
  const counts = useApi<{ items: Group[] }>('/api/deliveries/dead/counts');
  const [group, setGroup] = useState<Group>();
  const errorCode = group && group.errorCode !== 'UNKNOWN' ? group.errorCode : undefined;
  const list = useApi<{ items: DeadItem[]; total: number }>(
    group ? `/api/deliveries/dead${query({ destination: group.destinationId, errorCode, limit: 500 })}` : undefined,
  );
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const canReplay = me.permissions.includes('deliveries:replay');
  useEffect(() => setSelected(new Set(list.data?.items.map((d) => d.messageId))), [list.data]);

  const items = list.data?.items ?? [];
  const toggle = (id: string) => {
    const next = new Set(selected);
    if (!next.delete(id)) next.add(id);
    setSelected(next);
  };
  const channels = [...new Set(items.filter((d) => selected.has(d.messageId)).map((d) => d.channelId))];
  const refresh = () => {
    counts.reload();
    list.reload();
  };

  return (
    <Page title="Dead letters">
      <ErrorNote error={counts.error} />
      <table class="list groups">
        <caption>By destination and error</caption>
        <thead>
          <tr>
            <th scope="col">Destination</th>
            <th scope="col">Error</th>
            <th scope="col">Dead deliveries</th>
            <th scope="col">
              <span class="sr-only">Open</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {counts.data?.items.map((g) => {
            const open = group?.destinationId === g.destinationId && group.errorCode === g.errorCode;
            return (
              <tr class={open ? 'current' : undefined}>
                <td>{g.destinationId}</td>
                <td>
                  <code>{g.errorCode}</code>
                </td>
                <td>{g.count}</td>
                <td>
                  <button type="button" class="secondary" aria-pressed={open} onClick={() => setGroup(g)}>
                    Show {g.destinationId} {g.errorCode}
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {counts.data?.items.length === 0 && <p class="empty">No dead letters.</p>}
      {group && (
        <>
          <h2>
            {group.destinationId} · {group.errorCode} ({list.data?.total ?? '…'})
          </h2>
          <ErrorNote error={list.error} />
          <table class="list">
            <caption class="sr-only">Dead deliveries to {group.destinationId}</caption>
            <thead>
              <tr>
                {canReplay && <th scope="col">Select</th>}
                <th scope="col">Received</th>
                <th scope="col">Channel</th>
                <th scope="col">Control id</th>
                <th scope="col">MRN</th>
                <th scope="col">Attempts</th>
                <th scope="col">Last error</th>
                <th scope="col">Peer's answer</th>
              </tr>
            </thead>
            <tbody>
              {items.map((d) => (
                <tr>
                  {canReplay && (
                    <td>
                      <input
                        type="checkbox"
                        aria-label={`Select ${d.summary?.controlId ?? d.messageId}`}
                        checked={selected.has(d.messageId)}
                        onChange={() => toggle(d.messageId)}
                      />
                    </td>
                  )}
                  <td>
                    <a href={`/messages/${d.messageId}`}>{when(d.receivedAt)}</a>
                  </td>
                  <td>{d.channelId}</td>
                  <td class="mono">{d.summary?.controlId}</td>
                  <td class="mono">{d.summary?.mrn}</td>
                  <td>{d.attempts}</td>
                  <td>{d.lastError?.detail}</td>
                  <td class="mono answer">{d.lastError?.response}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {canReplay && (
            <ReplayPanel
              key={`${group.destinationId}|${group.errorCode}`}
              selection={{
                messageIds: items.filter((d) => selected.has(d.messageId)).map((d) => d.messageId),
                filter: {
                  destination: group.destinationId,
                  ...(errorCode ? { errorCode } : {}),
                  ...(channels.length === 1 ? { channel: channels[0] } : {}),
                },
              }}
              onReplayed={refresh}
            />
          )}
        </>
      )}
    </Page>
  );
}
