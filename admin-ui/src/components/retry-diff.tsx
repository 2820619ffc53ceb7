import type { RetryPreview } from '../flow-types.ts';
import { valueText } from '../ui.tsx';

/** The top-level field a change's path is under (`item` of `item.code` or `lines[0]`). */
const topField = (path: string) => path.split(/[.[]/)[0]!;

/**
 * A retry's dry run: each field the retry would send beside what the last attempt sent, the changed
 * ones first and marked (a peer fixed meanwhile gets the same request again: no field changes).
 */
export function RetryDiff({ preview }: { preview: RetryPreview }) {
  const changed = new Set(preview.changes.map((c) => topField(c.field)));
  const same = Object.keys(preview.after).filter((f) => !changed.has(f));
  return (
    <>
      <p>
        {preview.changes.length === 0
          ? 'No field changes: the retry sends the same request as the last attempt.'
          : `${preview.changes.length} ${preview.changes.length === 1 ? 'field changes' : 'fields change'} since the last attempt.`}
      </p>
      <table class="list retry-diff">
        <caption>What the retry sends, beside the last attempt</caption>
        <thead>
          <tr>
            <th scope="col">Field</th>
            <th scope="col">Last sent</th>
            <th scope="col">Retry sends</th>
          </tr>
        </thead>
        <tbody>
          {preview.changes.map((c) => (
            <tr class="diff changed">
              <td>
                <code>{c.field}</code> <span class="tag">changed</span>
              </td>
              <td>
                <del>{valueText(c.before)}</del>
              </td>
              <td>
                <ins>{valueText(c.after)}</ins>
              </td>
            </tr>
          ))}
          {same.map((f) => (
            <tr>
              <td>
                <code>{f}</code>
              </td>
              <td>{valueText(preview.after[f])}</td>
              <td>{valueText(preview.after[f])}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
