import type { RetryPreview } from '../flow-types.ts';
import { valueText } from '../ui.tsx';

/** A retry's dry run: what the retry would send beside what the last attempt sent, field by field. */
export function RetryDiff({ preview }: { preview: RetryPreview }) {
  if (preview.changes.length === 0) return <p>The retry sends the same request as the last attempt.</p>;
  return (
    <table class="list retry-diff">
      <caption>What the retry sends differently</caption>
      <thead>
        <tr>
          <th scope="col">Field</th>
          <th scope="col">Before</th>
          <th scope="col">After</th>
        </tr>
      </thead>
      <tbody>
        {preview.changes.map((c) => (
          <tr class="diff">
            <td>
              <code>{c.field}</code>
            </td>
            <td>
              <del>{valueText(c.before)}</del>
            </td>
            <td>
              <ins>{valueText(c.after)}</ins>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
