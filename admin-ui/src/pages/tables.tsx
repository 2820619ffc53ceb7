import type { Me } from '../api.ts';
import { useApi } from '../hooks.ts';
import type { TableItem } from '../mapping-types.ts';
import { ErrorNote, Page, when } from '../ui.tsx';

/** Lookup tables: the latest version of each, its columns and size; new tables come from a CSV file. */
export function Tables({ me }: { me: Me }) {
  const list = useApi<{ items: TableItem[] }>('/api/tables');
  const canWrite = me.permissions.includes('tables:write');
  return (
    <Page
      title="Lookup tables"
      actions={
        canWrite && (
          <a class="button" href="/tables/new">
            New lookup table
          </a>
        )
      }
    >
      <ErrorNote error={list.error} />
      <table class="list">
        <thead>
          <tr>
            <th scope="col">Table</th>
            <th scope="col">Columns</th>
            <th scope="col">Rows</th>
            <th scope="col">Version</th>
            <th scope="col">Changed</th>
          </tr>
        </thead>
        <tbody>
          {list.data?.items.map((t) => (
            <tr>
              <td>
                <a href={`/tables/${t.name}`}>{t.name}</a>
                {t.description && <div class="muted">{t.description}</div>}
              </td>
              <td class="mono">{t.columns.join(', ')}</td>
              <td>{t.rows}</td>
              <td>v{t.version}</td>
              <td>
                {when(t.updatedAt)} by {t.updatedBy}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {list.data?.items.length === 0 && <p class="empty">No lookup table yet.</p>}
    </Page>
  );
}
