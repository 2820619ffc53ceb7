import { useApi } from '../hooks.ts';
import type { FunctionInfo } from '../mapping-types.ts';
import { ErrorNote } from '../ui.tsx';

const signature = (f: FunctionInfo) =>
  `${f.name}(${f.params.map((p) => `${p.name}${p.optional ? '?' : ''}${p.variadic ? '…' : ''}`).join(', ')}) → ${f.result}`;

/** The expression language's functions (GET /api/mappings/functions), folded away until asked for. */
export function FunctionCatalog() {
  const catalog = useApi<{ items: FunctionInfo[] }>('/api/mappings/functions');
  return (
    <details class="function-catalog card">
      <summary>Expression help: paths, operators and functions</summary>
      <p>
        HL7v2 paths as in the tree (<code>PV1-19.1</code>, <code>PID-3[2].1</code>, <code>FT1(2)-7.3</code>), strings in single quotes,
        numbers.
      </p>
      <p>
        <code>a ?? b</code> is the first present value; <code>a = b</code>, <code>a != b</code>, <code>and</code>, <code>or</code>,{' '}
        <code>not(…)</code>.
      </p>
      <ErrorNote error={catalog.error} />
      <dl>
        {catalog.data?.items.map((f) => [
          <dt class="mono">{signature(f)}</dt>,
          <dd>
            {f.doc} <span class="muted">Example:</span> <code>{f.example}</code>
          </dd>,
        ])}
      </dl>
    </details>
  );
}
