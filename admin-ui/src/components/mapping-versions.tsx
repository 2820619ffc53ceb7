import { useApi } from '../hooks.ts';
import type { MappingItem } from '../mapping-types.ts';
import { ErrorNote } from '../ui.tsx';
import { VersionsTable } from './versions-table.tsx';

/** A mapping's versions, newest first; each opens in the editor (saving it makes it the newest). */
export function MappingVersions({ id, shown }: { id: string; shown: number | undefined }) {
  const versions = useApi<{ items: MappingItem[] }>(`/api/mappings/${encodeURIComponent(id)}/versions`);
  return (
    <details class="mapping-versions">
      <summary>Versions ({versions.data?.items.length ?? '…'})</summary>
      <ErrorNote error={versions.error} />
      <VersionsTable
        versions={versions.data?.items}
        current={shown}
        label={(v) =>
          v.version === shown ? `v${v.version} (open)` : <a href={`/mappings/${id}?version=${v.version}`}>Open v{v.version}</a>
        }
      />
    </details>
  );
}
