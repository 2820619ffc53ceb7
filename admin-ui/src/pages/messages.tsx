import { useEffect, useState } from 'preact/hooks';
import { query, type Me } from '../api.ts';
import { useApi, usePages } from '../hooks.ts';
import { navigate, useLocation } from '../router.ts';
import { MESSAGE_STATUSES, type Channel, type MessageListItem } from '../types.ts';
import { Badge, ErrorNote, Page, when } from '../ui.tsx';

interface ListAnswer {
  items: MessageListItem[];
  nextBefore: string | null;
  /** The time window searched (the API's default when the search gave none). */
  window?: { from: string; to: string };
}

const FIELDS = ['channel', 'status', 'type', 'controlId', 'mrn', 'field', 'value', 'destination', 'errorCode', 'from', 'to'] as const;
type Criteria = Record<(typeof FIELDS)[number], string>;

/** The API's query: the time range, kept in the address as the local time the fields show, sent as ISO instants. */
const apiQuery = (c: Criteria, extra: Record<string, string | number>) =>
  query({ ...c, from: c.from && new Date(c.from).toISOString(), to: c.to && new Date(c.to).toISOString(), ...extra });

/**
 * Message search by channel, status, type, control id, MRN, a search field the selected channel
 * declares, destination, error code and time: the criteria live in the address
 * (/messages?status=dead), so a search can be bookmarked and the back button returns to it from a
 * message. Newest first, 50 at a time, within a time window (the API's default: the last 7 days; at
 * most 31).
 */
export function Messages({ me }: { me: Me }) {
  const location = useLocation();
  const criteria = Object.fromEntries(FIELDS.map((f) => [f, location.searchParams.get(f) ?? ''])) as Criteria;
  const [form, setForm] = useState(criteria);
  const channels = useApi<{ items: Channel[] }>('/api/channels');
  const list = usePages<ListAnswer>(
    `/api/messages${apiQuery(criteria, { limit: 50 })}`,
    (before) => `/api/messages${apiQuery(criteria, { limit: 50, before })}`,
    location.search,
  );
  const { first, next } = list;
  useEffect(() => setForm(criteria), [location.search]);

  const destinations = [...new Set(channels.data?.items.flatMap((c) => c.destinations.map((d) => d.id)))];
  const searchFields = channels.data?.items.find((c) => c.id === form.channel)?.searchFields ?? [];
  const items = list.pages.flatMap((p) => p.items);
  const submit = (e: Event) => {
    e.preventDefault();
    // A search field belongs to its channel: without one declared there, none is searched.
    const field = searchFields.some((f) => f.name === form.field) ? form.field : '';
    navigate(`/messages${query({ ...form, field, value: field ? form.value : '' })}`);
  };
  const set = (f: keyof Criteria) => (e: Event) => setForm({ ...form, [f]: (e.currentTarget as HTMLInputElement).value });

  return (
    <Page title="Messages">
      <form class="filters" role="search" onSubmit={submit}>
        <div class="field">
          <label for="q-channel">Channel</label>
          <select id="q-channel" value={form.channel} onChange={set('channel')}>
            <option value="">any</option>
            {channels.data?.items.map((c) => (
              <option value={c.id}>{c.id}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="q-status">Status</label>
          <select id="q-status" value={form.status} onChange={set('status')}>
            <option value="">any</option>
            {MESSAGE_STATUSES.map((s) => (
              <option value={s}>{s}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="q-type">Type</label>
          <input id="q-type" size={10} placeholder="ADT^A01" value={form.type} onInput={set('type')} />
        </div>
        <div class="field">
          <label for="q-control">Control id (MSH-10)</label>
          <input id="q-control" value={form.controlId} onInput={set('controlId')} />
        </div>
        {/* A search by MRN needs the PHI permission (the API answers 403 without it). */}
        {me.phi && (
          <div class="field">
            <label for="q-mrn">MRN</label>
            <input id="q-mrn" value={form.mrn} onInput={set('mrn')} />
          </div>
        )}
        {/* The selected channel's declared search fields; a field value is an identifier: PHI permission, as for the MRN. */}
        {me.phi && searchFields.length > 0 && (
          <div class="field">
            <label for="q-field">Search field</label>
            <select id="q-field" value={form.field} onChange={set('field')}>
              <option value="">none</option>
              {searchFields.map((f) => (
                <option value={f.name}>{f.name}</option>
              ))}
            </select>
          </div>
        )}
        {me.phi && searchFields.length > 0 && form.field && (
          <div class="field">
            <label for="q-value">{`Value of ${form.field}`}</label>
            <input id="q-value" value={form.value} onInput={set('value')} />
          </div>
        )}
        <div class="field">
          <label for="q-destination">Destination</label>
          <select id="q-destination" value={form.destination} onChange={set('destination')}>
            <option value="">any</option>
            {destinations.map((d) => (
              <option value={d}>{d}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="q-error">Error code</label>
          <input id="q-error" size={16} placeholder="PEER_REJECTED" value={form.errorCode} onInput={set('errorCode')} />
        </div>
        <div class="field">
          <label for="q-from">Received from</label>
          <input id="q-from" type="datetime-local" value={form.from} onInput={set('from')} />
        </div>
        <div class="field">
          <label for="q-to">Received before</label>
          <input id="q-to" type="datetime-local" value={form.to} onInput={set('to')} />
        </div>
        <button type="submit">Search</button>
      </form>
      {!me.phi && <p class="note">Patient identifiers are masked (***): your account does not have the PHI permission.</p>}
      {first.data?.window && (
        <p class="note">
          Received from {when(first.data.window.from)} to {when(first.data.window.to)}
          {criteria.from ? '' : ' (the last 7 days unless a range is given; at most 31 days)'}.
        </p>
      )}
      <ErrorNote error={list.error} />
      <table class="list">
        <caption class="sr-only">Messages, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Received</th>
            <th scope="col">Channel</th>
            <th scope="col">Type</th>
            <th scope="col">Control id</th>
            <th scope="col">MRN</th>
            <th scope="col">Status</th>
          </tr>
        </thead>
        <tbody>
          {items.map((m) => (
            <tr key={m._id}>
              <td>
                <a href={`/messages/${m._id}`}>{when(m.receivedAt)}</a>
              </td>
              <td>{m.channelId}</td>
              <td>{m.summary ? `${m.summary.messageType}^${m.summary.triggerEvent}` : m.format}</td>
              <td class="mono">{m.summary?.controlId}</td>
              <td class="mono">{m.summary?.mrn}</td>
              <td>
                <Badge value={m.status} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {first.data && items.length === 0 && <p class="empty">No message matches.</p>}
      {first.loading && <p class="loading">Searching…</p>}
      {next && (
        <button type="button" class="secondary" onClick={list.loadMore}>
          Older messages
        </button>
      )}
    </Page>
  );
}
