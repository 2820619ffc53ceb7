import { useEffect, useState } from 'preact/hooks';
import { get, query } from '../api.ts';
import { useApi } from '../hooks.ts';
import { Badge, ErrorNote, Page, when } from '../ui.tsx';

interface Entry {
  _id: string;
  seq: number;
  at: string;
  actor: string;
  action: string;
  outcome: string;
  target?: string;
  details?: Record<string, unknown>;
  sourceIp?: string;
}

/** One page of `GET /api/audit`, newest first. */
interface Answer {
  items: Entry[];
  nextBeforeSeq: number | null;
}

/** The engine's audit actions (engine/audit/audit-log.ts keeps them stable for this filter). */
const ACTIONS = [
  'auth.login',
  'auth.login-failed',
  'auth.logout',
  'auth.setup',
  'token.create',
  'token.revoke',
  'user.create',
  'user.update',
  'user.delete',
  'config.change',
  'message.view',
  'message.search',
  'message.reroute',
  'message.resend',
  'replay',
  'audit.export',
  'access.denied',
];

const detail = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/** Newest first, 100 at a time, filtered by action and actor; details shown as name: value. */
export function AuditLogPage() {
  const [action, setAction] = useState('');
  const [actor, setActor] = useState('');
  const [criteria, setCriteria] = useState({ action: '', actor: '' });
  // useApi shows only the answer for the current criteria: the unfiltered page asked for on arrival
  // may answer after the filtered one and is dropped. Older pages are kept until the criteria change.
  const first = useApi<Answer>(`/api/audit${query({ ...criteria, limit: 100 })}`);
  const [more, setMore] = useState<Answer[]>([]);
  const [moreError, setMoreError] = useState<Error>();
  useEffect(() => setMore([]), [criteria]);
  const pages = first.data ? [first.data, ...more] : [];
  const entries = pages.flatMap((p) => p.items);
  const next = pages.at(-1)?.nextBeforeSeq ?? null;
  const error = first.error ?? moreError;
  const load = (beforeSeq: number) =>
    get<Answer>(`/api/audit${query({ ...criteria, limit: 100, beforeSeq })}`).then(
      (p) => (setMore((m) => [...m, p]), setMoreError(undefined)),
      setMoreError,
    );

  return (
    <Page title="Audit log">
      <form class="filters" role="search" onSubmit={(e) => (e.preventDefault(), setCriteria({ action, actor: actor.trim() }))}>
        <div class="field">
          <label for="a-action">Action</label>
          <select id="a-action" value={action} onChange={(e) => setAction(e.currentTarget.value)}>
            <option value="">any</option>
            {ACTIONS.map((a) => (
              <option value={a}>{a}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="a-actor">Actor</label>
          <input id="a-actor" value={actor} onInput={(e) => setActor(e.currentTarget.value)} />
        </div>
        <button type="submit">Filter</button>
      </form>
      <ErrorNote error={error} />
      <table class="list audit">
        <caption class="sr-only">Audit entries, newest first</caption>
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">At</th>
            <th scope="col">Actor</th>
            <th scope="col">Action</th>
            <th scope="col">Outcome</th>
            <th scope="col">Target</th>
            <th scope="col">Details</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr key={e._id}>
              <td>{e.seq}</td>
              <td>{when(e.at)}</td>
              <td>{e.actor}</td>
              <td class="mono">{e.action}</td>
              <td>
                <Badge value={e.outcome} />
              </td>
              <td class="mono">{e.target}</td>
              <td class="details">
                {Object.entries(e.details ?? {}).map(([k, v]) => (
                  <div>
                    <span class="muted">{k}:</span> {detail(v)}
                  </div>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {next !== null && (
        <button type="button" class="secondary" onClick={() => void load(next)}>
          Older entries
        </button>
      )}
    </Page>
  );
}
