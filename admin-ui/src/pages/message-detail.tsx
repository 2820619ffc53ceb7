import { useState } from 'preact/hooks';
import { api, type Me } from '../api.ts';
import { CorrectionLinks, CorrectionPanel } from '../components/correction-panel.tsx';
import { Hl7Tree } from '../components/hl7-tree.tsx';
import { ReplayPanel } from '../components/replay-panel.tsx';
import { useApi } from '../hooks.ts';
import type { Delivery, Message } from '../types.ts';
import { Badge, ErrorNote, json, Page, when } from '../ui.tsx';

const lines = (hl7: string) =>
  hl7
    .split(/\r\n|\r|\n/)
    .filter(Boolean)
    .join('\n');

function prettyFhir(raw: string): string {
  try {
    return json(JSON.parse(raw));
  } catch {
    return raw;
  }
}

/** One destination's delivery; a delivered one may be sent again (a replay under a new key) by those who may replay. */
function DeliveryView({ d, messageId, canReplay, onReplayed }: { d: Delivery; messageId: string; canReplay: boolean; onReplayed(): void }) {
  return (
    <section class="delivery" aria-labelledby={`dest-${d.destinationId}`}>
      <h3 id={`dest-${d.destinationId}`}>
        {d.destinationId} <Badge value={d.status} />
      </h3>
      {d.lastError && (
        <p class="note">
          Last error <code>{d.lastError.code}</code>: {d.lastError.detail}
        </p>
      )}
      {d.peerDocumentIds?.length ? <p>Peer document ids: {d.peerDocumentIds.join(', ')}</p> : null}
      <table class="list">
        <caption class="sr-only">Attempts to {d.destinationId}</caption>
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">At</th>
            <th scope="col">Outcome</th>
            <th scope="col">Error</th>
            <th scope="col">Peer's answer</th>
            <th scope="col">ms</th>
          </tr>
        </thead>
        <tbody>
          {d.attempts.map((a) => (
            <tr>
              <td>
                {a.attempt}
                {a.replayId && [' ', <span class="tag">replay</span>]}
              </td>
              <td>{when(a.at)}</td>
              <td>
                <Badge value={a.outcome} />
              </td>
              <td>
                {a.errorCode && <code>{a.errorCode}</code>} {a.error}
              </td>
              <td class="mono answer">{a.response}</td>
              <td>{a.durationMs}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {d.attempts.length === 0 && <p class="empty">No attempt yet.</p>}
      {canReplay && d.status === 'delivered' && (
        <details class="resend">
          <summary>Send to {d.destinationId} again…</summary>
          <p class="muted">The peer receives it as a new document, under a new idempotency key, made by the current transforms.</p>
          <ReplayPanel
            title={`Send to ${d.destinationId} again`}
            selection={{ messageIds: [messageId], filter: { destination: d.destinationId, status: 'delivered' } }}
            onReplayed={onReplayed}
          />
        </details>
      )}
    </section>
  );
}

/** One message: facts, the raw message as a tree, the canonical events, every delivery and the ACK sent. */
export function MessageDetail({ id, me }: { id: string; me: Me }) {
  const { data: m, error, reload, loading } = useApi<Message>(`/api/messages/${encodeURIComponent(id)}`);
  const [rerouted, setRerouted] = useState<string | Error>();
  const reroute = () =>
    api('POST', `/api/messages/${encodeURIComponent(id)}/reroute`).then(
      () => (setRerouted('Sent back through routing.'), reload()),
      setRerouted,
    );
  const canReroute = m && me.permissions.includes('messages:reroute') && (m.status === 'errored' || m.status === 'filtered');

  const actions = (
    <div class="actions">
      {canReroute && (
        <button type="button" onClick={() => void reroute()}>
          Re-route
        </button>
      )}
      {me.permissions.includes('transforms:test') && (
        <a class="button secondary" href={`/transforms?message=${encodeURIComponent(id)}`}>
          Test in the transform bench
        </a>
      )}
      <button type="button" class="secondary" onClick={reload} disabled={loading}>
        Refresh
      </button>
    </div>
  );
  return (
    <Page title={`Message ${id}`} actions={actions}>
      <p>
        <a href="/messages">← Messages</a>
      </p>
      <ErrorNote error={error} />
      {rerouted instanceof Error ? <ErrorNote error={rerouted} /> : rerouted && <p class="ok">{rerouted}</p>}
      {m && (
        <>
          <dl class="facts">
            <dt>Status</dt>
            <dd>
              <Badge value={m.status} />
            </dd>
            <dt>Channel</dt>
            <dd>{m.channelId}</dd>
            <dt>Received</dt>
            <dd>{when(m.receivedAt)}</dd>
            <dt>Type</dt>
            <dd>{m.summary ? `${m.summary.messageType}^${m.summary.triggerEvent}` : m.format}</dd>
            <dt>Control id</dt>
            <dd class="mono">{m.summary?.controlId}</dd>
            <dt>MRN</dt>
            <dd class="mono">{m.summary?.mrn}</dd>
            <dt>Sender</dt>
            <dd>{m.summary ? `${m.summary.sendingApplication} / ${m.summary.sendingFacility}` : ''}</dd>
            {m.error && <dt>Error</dt>}
            {m.error && (
              <dd>
                <code>{m.error.code}</code> {m.error.detail}
              </dd>
            )}
            {m.filteredReason && <dt>Filtered</dt>}
            {m.filteredReason && <dd>{m.filteredReason}</dd>}
          </dl>
          {m.masked && <p class="note">Patient data is masked (***): your account does not have the PHI permission.</p>}
          <CorrectionLinks m={m} />
          <h2>Raw message</h2>
          {m.format === 'hl7v2' ? <Hl7Tree text={m.raw} /> : <pre class="code">{prettyFhir(m.raw)}</pre>}
          {me.phi && me.permissions.includes('messages:reroute') && <CorrectionPanel key={m._id} m={m} />}
          <h2>Canonical events</h2>
          {m.canonical?.events.length ? <pre class="code canonical">{json(m.canonical.events)}</pre> : <p class="empty">None.</p>}
          <h2>Deliveries</h2>
          {Object.values(m.deliveries).map((d) => (
            <DeliveryView d={d} messageId={id} canReplay={me.permissions.includes('deliveries:replay')} onReplayed={reload} />
          ))}
          {Object.keys(m.deliveries).length === 0 && <p class="empty">No destination.</p>}
          <h2>ACK sent</h2>
          <p>
            <Badge value={m.ack.code} /> {m.ack.text} <span class="muted">{when(m.ack.sentAt)}</span>
          </p>
          {m.ack.message && <pre class="code ack">{lines(m.ack.message)}</pre>}
        </>
      )}
    </Page>
  );
}
