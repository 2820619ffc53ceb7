import { useState } from 'preact/hooks';
import { api, ApiError } from '../api.ts';
import { Badge, ErrorNote, when } from '../ui.tsx';

interface Preview {
  examined: number;
  changed: {
    messageId: string;
    receivedAt: string;
    status: { before: string; after: string };
    error?: string;
    diff: { path: string; before: unknown; after: unknown }[];
  }[];
  nowFailing: number;
  lookupMisses: { table: string; key: string; count: number }[];
}

const show = (v: unknown) => (v === undefined || v === null ? '(none)' : typeof v === 'string' ? v : JSON.stringify(v));

function Changes({ p }: { p: Preview }) {
  return (
    <table class="list">
      <caption>Messages the draft would handle differently</caption>
      <thead>
        <tr>
          <th scope="col">Message</th>
          <th scope="col">Received</th>
          <th scope="col">Status</th>
          <th scope="col">Changed fields</th>
        </tr>
      </thead>
      <tbody>
        {p.changed.map((c) => (
          <tr>
            <td class="mono">
              <a href={`/messages/${c.messageId}`}>{c.messageId}</a>
            </td>
            <td>{when(c.receivedAt)}</td>
            <td>
              <Badge value={c.status.before} /> → <Badge value={c.status.after} />
              {c.error && <p class="error">{c.error}</p>}
            </td>
            <td class="details">
              {c.diff.map((d) => (
                <div class="diff">
                  <code>{d.path}</code>: <del>{show(d.before)}</del> → <ins>{show(d.after)}</ins>
                </div>
              ))}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * A draft channel version run against the channel's last N stored messages (at most 1,000) beside
 * the running version: per message that would change, its status and changed fields; how many would
 * now fail; lookups finding no row, by table and key. Nothing is stored or sent.
 */
export function TrafficPreview({ channel }: { channel: { id: string } }) {
  const [limit, setLimit] = useState(200);
  const [p, setP] = useState<Preview>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    setError(undefined);
    try {
      setP(await api<Preview>('POST', `/api/channels/${encodeURIComponent(channel.id)}/preview`, { channel, limit }));
    } catch (err) {
      const problems =
        err instanceof ApiError && Array.isArray(err.body.problems) ? (err.body.problems as { path: string; message: string }[]) : [];
      setError([(err as Error).message, ...problems.map((x) => `${x.path} ${x.message}`)].join('; '));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="traffic-preview card" aria-labelledby="traffic-title">
      <h2 id="traffic-title">Preview against stored traffic</h2>
      <div class="filters">
        <div class="field">
          <label for="traffic-limit">Last messages (at most 1,000)</label>
          <input
            id="traffic-limit"
            type="number"
            min={1}
            max={1000}
            value={String(limit)}
            onInput={(e) => setLimit(Math.min(1000, Math.max(1, Number(e.currentTarget.value) || 1)))}
          />
        </div>
        <button type="button" class="secondary" disabled={busy} onClick={() => void run()}>
          Preview the draft against stored traffic
        </button>
      </div>
      <ErrorNote error={error} />
      {p && (
        <div aria-live="polite">
          <p>
            Examined <strong>{p.examined}</strong> messages: {p.changed.length} would change,{' '}
            <strong class={p.nowFailing > 0 ? 'error' : undefined}>{p.nowFailing} would now fail</strong>.
          </p>
          {p.changed.length > 0 && <Changes p={p} />}
          {p.lookupMisses.length > 0 && (
            <table class="list">
              <caption>Lookups finding no row</caption>
              <thead>
                <tr>
                  <th scope="col">Table</th>
                  <th scope="col">Key</th>
                  <th scope="col">Messages</th>
                </tr>
              </thead>
              <tbody>
                {p.lookupMisses.map((m) => (
                  <tr>
                    <td class="mono">{m.table}</td>
                    <td class="mono">{m.key}</td>
                    <td>{m.count}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      )}
    </section>
  );
}
