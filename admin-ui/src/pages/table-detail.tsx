import { useEffect, useState } from 'preact/hooks';
import { api, type Me } from '../api.ts';
import { CsvImport } from '../components/csv-import.tsx';
import { TableMissing } from '../components/table-missing.tsx';
import { TableRows } from '../components/table-rows.tsx';
import { TableVersions } from '../components/table-versions.tsx';
import { useApi } from '../hooks.ts';
import type { TableDefinition, VersionInfo } from '../mapping-types.ts';
import { navigate, useLocation } from '../router.ts';
import { ErrorNote, Page } from '../ui.tsx';

interface TableAnswer extends VersionInfo {
  name: string;
  definition: TableDefinition;
  usedBy?: { channelId: string; channelVersion: number; mappingId: string }[];
}

/**
 * One lookup table: its rows (paged, filtered), edited in place and saved as the next version with
 * a comment, or replaced by a CSV import; the CSV export; the channels using it; its versions and
 * the diff between two. `?version=` shows an older version (read only).
 */
export function TableDetail({ name, me }: { name: string; me: Me }) {
  const params = useLocation().searchParams;
  const asked = params.get('version');
  const saved = params.get('saved');
  const base = `/api/tables/${encodeURIComponent(name)}`;
  const table = useApi<TableAnswer>(`${base}${asked ? `?version=${asked}` : ''}`);
  const versions = useApi<{ items: VersionInfo[] }>(`${base}/versions`);
  const [rows, setRows] = useState<string[][]>([]);
  const [description, setDescription] = useState('');
  const [onMissing, setOnMissing] = useState<TableDefinition['onMissing']>({ error: true });
  const [comment, setComment] = useState('');
  const [error, setError] = useState<Error>();
  useEffect(() => {
    if (!table.data) return;
    setRows(table.data.definition.rows.map((r) => [...r]));
    setDescription(table.data.definition.description ?? '');
    setOnMissing(table.data.definition.onMissing);
  }, [table.data]);
  const t = table.data;
  const latest = versions.data?.items[0]?.version;
  const editable = me.permissions.includes('tables:write') && t !== undefined && t.version === latest;
  const dirty =
    t !== undefined &&
    JSON.stringify([rows, description, onMissing]) !==
      JSON.stringify([t.definition.rows, t.definition.description ?? '', t.definition.onMissing]);
  const q = () => (comment.trim() ? `?comment=${encodeURIComponent(comment.trim())}` : '');
  const done = (v: { version: number }) => {
    setComment('');
    navigate(`/tables/${encodeURIComponent(name)}?saved=${v.version}`);
    table.reload();
    versions.reload();
  };
  const save = async (e: Event) => {
    e.preventDefault();
    if (!t) return;
    setError(undefined);
    const { columns } = t.definition;
    const body: TableDefinition = { name, columns, rows, onMissing, ...(description.trim() ? { description: description.trim() } : {}) };
    await api<{ version: number }>('POST', `/api/tables${q()}`, body).then(done, setError);
  };
  const importCsv = (csv: string) => api<{ version: number }>('PUT', `${base}/csv${q()}`, csv, 'text/csv').then(done);

  return (
    <Page title={`Lookup table ${name}`}>
      <p>
        <a href="/tables">← Lookup tables</a> ·{' '}
        <a href={`${base}/csv${asked ? `?version=${asked}` : ''}`} download>
          Export CSV{t ? ` (v${t.version})` : ''}
        </a>
      </p>
      <ErrorNote error={table.error ?? versions.error ?? error} />
      {saved && t?.version === Number(saved) && (
        <p class="ok" role="status">
          Saved version {saved}.
        </p>
      )}
      {t && (
        <dl class="facts">
          <dt>Version</dt>
          <dd>
            v{t.version}
            {latest !== undefined && t.version !== latest && <span class="note"> (an older version: the latest is v{latest})</span>}
          </dd>
          <dt>Columns</dt>
          <dd class="mono">{t.definition.columns.join(', ')}</dd>
          <dt>Missing key</dt>
          <dd>{'error' in t.definition.onMissing ? 'fails the field' : `default ${JSON.stringify(t.definition.onMissing.default)}`}</dd>
          <dt>Used by</dt>
          <dd>
            {t.usedBy?.length
              ? t.usedBy.map((u) => `${u.channelId} v${u.channelVersion} (${u.mappingId})`).join(', ')
              : 'no channel version'}
          </dd>
        </dl>
      )}
      {t && (
        <form onSubmit={save}>
          <div class="field">
            <label for="table-description">Description</label>
            <input
              id="table-description"
              class="wide"
              maxLength={500}
              disabled={!editable}
              value={description}
              onInput={(e) => setDescription(e.currentTarget.value)}
            />
          </div>
          <TableMissing columns={t.definition.columns} onMissing={onMissing} disabled={!editable} onChange={setOnMissing} />
          <TableRows columns={t.definition.columns} rows={rows} editable={editable} onChange={setRows} />
          {editable && (
            <div class="actions">
              <div class="field grow">
                <label for="table-comment">Comment for this version</label>
                <input id="table-comment" class="wide" maxLength={500} value={comment} onInput={(e) => setComment(e.currentTarget.value)} />
              </div>
              <button type="submit" disabled={!dirty}>
                Save version
              </button>
            </div>
          )}
        </form>
      )}
      {editable && <CsvImport label="Replace the rows from a CSV file" onImport={importCsv} />}
      {versions.data && <TableVersions key={latest} name={name} versions={versions.data.items} />}
    </Page>
  );
}
