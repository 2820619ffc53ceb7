import type { ComponentChildren } from 'preact';
import { when } from '../ui.tsx';

/** What every version list shows of a version (channels, mappings, lookup tables). */
export interface VersionRow {
  version: number;
  origin: string;
  author: string;
  comment: string | null;
  at: string;
}

/**
 * The versions of a definition, newest first: version, when, who, from where, comment. `label`
 * renders the first cell (default `v<n>`); `actions`, when given, a last column (links, buttons)
 * headed `actionsTitle` for screen readers; `current` marks one row.
 */
export function VersionsTable<V extends VersionRow>(o: {
  versions: readonly V[] | undefined;
  label?: (v: V) => ComponentChildren;
  actions?: (v: V) => ComponentChildren;
  actionsTitle?: string;
  current?: number;
}) {
  return (
    <table class="list versions">
      <thead>
        <tr>
          <th scope="col">Version</th>
          <th scope="col">When</th>
          <th scope="col">Who</th>
          <th scope="col">From</th>
          <th scope="col">Comment</th>
          {o.actions && (
            <th scope="col">
              <span class="sr-only">{o.actionsTitle ?? 'Actions'}</span>
            </th>
          )}
        </tr>
      </thead>
      <tbody>
        {o.versions?.map((v) => (
          <tr class={v.version === o.current ? 'current' : undefined}>
            <td>{o.label ? o.label(v) : `v${v.version}`}</td>
            <td>{when(v.at)}</td>
            <td>{v.author}</td>
            <td>{v.origin}</td>
            <td>{v.comment}</td>
            {o.actions && <td>{o.actions(v)}</td>}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
