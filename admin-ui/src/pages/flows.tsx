import { useEffect, useState } from 'preact/hooks';
import { query } from '../api.ts';
import { FlowTable } from '../components/flow-table.tsx';
import { InstanceTable } from '../components/instance-table.tsx';
import { FLOW_STATUSES, type FlowView, type InstanceSummary } from '../flow-types.ts';
import { useApi, usePages } from '../hooks.ts';
import { navigate, useLocation } from '../router.ts';
import { ErrorNote, Page } from '../ui.tsx';

const FIELDS = ['flow', 'status', 'from', 'to', 'key'] as const;
type Criteria = Record<(typeof FIELDS)[number], string>;
const LIMIT = 100;

/** One page of `GET /api/flows/instances`; `nextBefore` asks for the next, older one. */
interface InstancePage {
  instances: InstanceSummary[];
  nextBefore: string | null;
}

/** The API's query: the time window, kept in the address as the local time the fields show, sent as ISO instants. */
const apiQuery = (c: Criteria, before?: string) =>
  query({
    ...c,
    from: c.from && new Date(c.from).toISOString(),
    to: c.to && new Date(c.to).toISOString(),
    limit: LIMIT,
    ...(before ? { before } : {}),
  });

/**
 * The deployed flows with their instances by status, and the instances themselves, newest first,
 * by flow, status, creation time and business key (a visit number, an item code): the criteria live
 * in the address (/flows?status=stalled), so the back button returns to the list from an instance.
 * 100 at a time; "Older instances" adds the next page.
 */
export function Flows() {
  const location = useLocation();
  const criteria = Object.fromEntries(FIELDS.map((f) => [f, location.searchParams.get(f) ?? ''])) as Criteria;
  const [form, setForm] = useState(criteria);
  const flows = useApi<{ flows: FlowView[] }>('/api/flows');
  const list = usePages<InstancePage>(
    `/api/flows/instances${apiQuery(criteria)}`,
    (before) => `/api/flows/instances${apiQuery(criteria, before)}`,
    location.search,
  );
  const { first, next } = list;
  useEffect(() => setForm(criteria), [location.search]);

  const submit = (e: Event) => {
    e.preventDefault();
    navigate(`/flows${query(form)}`);
  };
  const set = (f: keyof Criteria) => (e: Event) => setForm({ ...form, [f]: (e.currentTarget as HTMLInputElement).value });
  const instances = list.pages.flatMap((p) => p.instances);

  return (
    <Page title="Flows">
      <ErrorNote error={flows.error} />
      {flows.data && <FlowTable flows={flows.data.flows} />}
      {flows.data?.flows.length === 0 && <p class="empty">No flow is deployed.</p>}
      <h2>Instances</h2>
      <form class="filters" role="search" onSubmit={submit}>
        <div class="field">
          <label for="f-flow">Flow</label>
          <select id="f-flow" value={form.flow} onChange={set('flow')}>
            <option value="">any</option>
            {flows.data?.flows.map((f) => (
              <option value={f.id}>{f.id}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="f-status">Status</label>
          <select id="f-status" value={form.status} onChange={set('status')}>
            <option value="">any</option>
            {FLOW_STATUSES.map((s) => (
              <option value={s}>{s}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="f-from">Started from</label>
          <input id="f-from" type="datetime-local" value={form.from} onInput={set('from')} />
        </div>
        <div class="field">
          <label for="f-to">Started before</label>
          <input id="f-to" type="datetime-local" value={form.to} onInput={set('to')} />
        </div>
        <div class="field">
          <label for="f-key">Business key</label>
          <input id="f-key" size={14} placeholder="visit number, item code" value={form.key} onInput={set('key')} />
        </div>
        <button type="submit">Search</button>
      </form>
      <ErrorNote error={list.error} />
      <InstanceTable instances={instances} />
      {first.data && instances.length === 0 && <p class="empty">No instance matches.</p>}
      {first.loading && <p class="loading">Searching…</p>}
      {next && (
        <button type="button" class="secondary" onClick={list.loadMore}>
          Older instances
        </button>
      )}
    </Page>
  );
}
