import { useApi } from '../hooks.ts';
import type { MappingItem } from '../mapping-types.ts';
import { ErrorNote, when } from '../ui.tsx';

/** A mapping's versions, newest first; each opens in the editor (saving it makes it the newest). */
export function MappingVersions({ id, shown }: { id: string; shown: number | undefined }) {
  const versions = useApi<{ items: MappingItem[] }>(`/api/mappings/${encodeURIComponent(id)}/versions`);
  return (
    <details class="mapping-versions">
      <summary>Versions ({versions.data?.items.length ?? '…'})</summary>
      <ErrorNote error={versions.error} />
      <table class="list versions">
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">When</th>
            <th scope="col">Who</th>
            <th scope="col">From</th>
            <th scope="col">Comment</th>
          </tr>
        </thead>
        <tbody>
          {versions.data?.items.map((v) => (
            <tr class={v.version === shown ? 'current' : undefined}>
              <td>
                {v.version === shown ? `v${v.version} (open)` : <a href={`/mappings/${id}?version=${v.version}`}>Open v{v.version}</a>}
              </td>
              <td>{when(v.at)}</td>
              <td>{v.author}</td>
              <td>{v.origin}</td>
              <td>{v.comment}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}
