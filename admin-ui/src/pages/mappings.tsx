import type { Me } from '../api.ts';
import { useApi } from '../hooks.ts';
import type { MappingItem } from '../mapping-types.ts';
import { ErrorNote, Page, when } from '../ui.tsx';

/** Data mappings: the latest version of each, what it reads and makes. */
export function Mappings({ me }: { me: Me }) {
  const list = useApi<{ items: MappingItem[] }>('/api/mappings');
  return (
    <Page
      title="Mappings"
      actions={
        me.permissions.includes('channels:write') && (
          <a class="button" href="/mappings/new">
            New mapping
          </a>
        )
      }
    >
      <ErrorNote error={list.error} />
      <table class="list">
        <thead>
          <tr>
            <th scope="col">Mapping</th>
            <th scope="col">Reads</th>
            <th scope="col">Makes</th>
            <th scope="col">Version</th>
            <th scope="col">Changed</th>
          </tr>
        </thead>
        <tbody>
          {list.data?.items.map((m) => (
            <tr>
              <td>
                <a href={`/mappings/${m.id}`}>{m.id}</a>
                {m.description && <div class="muted">{m.description}</div>}
              </td>
              <td>
                {m.input === 'hl7' ? 'HL7v2' : 'FHIR'} {m.accepts.join(', ')}
              </td>
              <td>{m.model}</td>
              <td>v{m.version}</td>
              <td>
                {when(m.at)} by {m.author}
                {m.comment && <div class="muted">{m.comment}</div>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {list.data?.items.length === 0 && <p class="empty">No mapping yet.</p>}
    </Page>
  );
}
