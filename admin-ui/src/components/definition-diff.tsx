import { valueText } from '../ui.tsx';

/** One setting that differs between two versions of a definition, by path; a missing side is absent. */
export interface DefinitionChange {
  path: string;
  before: unknown;
  after: unknown;
}

/**
 * What changed from one version of a definition to another (a channel, an alert rule): each path
 * with its value before and after, as one line each (`(none)` for absent); a sentence when nothing did.
 */
export function DefinitionDiff({ from, to, changes }: { from: number; to: number; changes: DefinitionChange[] }) {
  return (
    <table class="list diff-table" aria-live="polite">
      <caption>
        Changes from v{from} to v{to}
        {changes.length === 0 && ': none, the two versions are the same'}
      </caption>
      <thead>
        <tr>
          <th scope="col">Path</th>
          <th scope="col">Before</th>
          <th scope="col">After</th>
        </tr>
      </thead>
      <tbody>
        {changes.map((c) => (
          <tr>
            <td class="mono">{c.path}</td>
            <td class="mono">
              <del>{valueText(c.before ?? undefined)}</del>
            </td>
            <td class="mono">
              <ins>{valueText(c.after ?? undefined)}</ins>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
