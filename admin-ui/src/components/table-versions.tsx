import { useState } from 'preact/hooks';
import { get } from '../api.ts';
import type { TableDiff, VersionInfo } from '../mapping-types.ts';
import { VersionsTable } from './versions-table.tsx';
import { ErrorNote } from '../ui.tsx';

function DiffView({ d }: { d: TableDiff }) {
  const none = d.counts.added + d.counts.removed + d.counts.changed === 0 && !d.columns && d.settings.length === 0;
  return (
    <div class="table-diff" aria-live="polite">
      <h3>
        v{d.from} → v{d.to}: {d.counts.added} added, {d.counts.removed} removed, {d.counts.changed} changed
      </h3>
      {none && <p class="muted">The two versions are the same.</p>}
      {d.columns && (
        <p class="diff">
          Columns: <del>{d.columns.before.join(', ')}</del> → <ins>{d.columns.after.join(', ')}</ins>
        </p>
      )}
      {d.settings.map((s) => (
        <p class="diff">
          <code>{s.path}</code>: <del>{s.before ?? '(none)'}</del> → <ins>{s.after ?? '(none)'}</ins>
        </p>
      ))}
      {d.added.length > 0 && <p class="diff">Added: {d.added.map((k) => [<ins class="mono">{k}</ins>, ' '])}</p>}
      {d.removed.length > 0 && <p class="diff">Removed: {d.removed.map((k) => [<del class="mono">{k}</del>, ' '])}</p>}
      {d.changed.length > 0 && (
        <table class="list diff-table">
          <caption>Changed rows</caption>
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Column</th>
              <th scope="col">Before</th>
              <th scope="col">After</th>
            </tr>
          </thead>
          <tbody>
            {d.changed.flatMap((r) =>
              Object.entries(r.columns).map(([c, v]) => (
                <tr>
                  <td class="mono">{r.key}</td>
                  <td class="mono">{c}</td>
                  <td class="mono">
                    <del>{v.before ?? '(none)'}</del>
                  </td>
                  <td class="mono">
                    <ins>{v.after ?? '(none)'}</ins>
                  </td>
                </tr>
              )),
            )}
          </tbody>
        </table>
      )}
    </div>
  );
}

/** A table's versions (each viewable, each exported as CSV) and the diff between any two of them. */
export function TableVersions({ name, versions }: { name: string; versions: VersionInfo[] }) {
  const newest = versions[0]?.version ?? 1;
  const [from, setFrom] = useState(Math.max(1, newest - 1));
  const [to, setTo] = useState(newest);
  const [diff, setDiff] = useState<TableDiff>();
  const [error, setError] = useState<Error>();
  const base = `/api/tables/${encodeURIComponent(name)}`;
  const compare = () => get<TableDiff>(`${base}/diff?from=${from}&to=${to}`).then((d) => (setDiff(d), setError(undefined)), setError);
  const pick = (id: string, label: string, value: number, set: (v: number) => void) => (
    <div class="field">
      <label for={id}>{label}</label>
      <select id={id} value={String(value)} onChange={(e) => set(Number(e.currentTarget.value))}>
        {versions.map((v) => (
          <option value={String(v.version)}>v{v.version}</option>
        ))}
      </select>
    </div>
  );
  return (
    <section aria-labelledby="versions-title">
      <h2 id="versions-title">Versions</h2>
      <VersionsTable
        versions={versions}
        actionsTitle="Links"
        actions={(v) => [
          <a href={`/tables/${name}?version=${v.version}`}>View v{v.version}</a>,
          ' · ',
          <a href={`${base}/csv?version=${v.version}`} download>
            CSV
          </a>,
        ]}
      />
      {versions.length > 1 && (
        <div class="filters">
          {pick('diff-from', 'From version', from, setFrom)}
          {pick('diff-to', 'To version', to, setTo)}
          <button type="button" class="secondary" onClick={() => void compare()}>
            Compare
          </button>
        </div>
      )}
      <ErrorNote error={error} />
      {diff && <DiffView d={diff} />}
    </section>
  );
}
