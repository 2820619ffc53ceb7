import type { FieldError, MappingDraft, MappingProblem, ModelField } from '../mapping-types.ts';

/** The model field a problem's path names (`/fields/amount.value/expr` → `amount.value`). */
export const problemField = (p: MappingProblem) => /^\/fields\/([^/]+)/.exec(p.path)?.[1];

/** A problem said once, naming its field (or its path) and where in the expression: `quantity: … (line 1, column 5)`. */
export function describeProblem(p: MappingProblem): string {
  const subject = problemField(p) ?? p.path;
  const named = p.message.startsWith(`${subject}:`) ? p.message : `${subject}: ${p.message}`;
  return p.line !== undefined ? `${named} (line ${p.line}, column ${p.column ?? 1})` : named;
}

function valueAt(event: Record<string, unknown> | undefined, path: string): unknown {
  return path.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), event);
}

const domId = (path: string) => `expr-${path.replace(/[^A-Za-z0-9]/g, '-')}`;

/**
 * The model's fields beside their expressions: path, type, data class, required; under each
 * expression its problems (with line and column), its field errors on the sample and the value it
 * gives in the first event. Targets the model does not have are listed after it, to be removed.
 */
export function MappingFields({
  model,
  fields,
  problems,
  errors,
  firstEvent,
  readOnly,
  onExpr,
  onFocus,
}: {
  model: ModelField[];
  fields: MappingDraft['fields'];
  problems: MappingProblem[];
  errors: FieldError[];
  firstEvent: Record<string, unknown> | undefined;
  readOnly: boolean;
  onExpr(path: string, expr: string): void;
  onFocus(path: string, input: HTMLInputElement): void;
}) {
  const known = new Set(model.map((f) => f.path));
  const unknown: ModelField[] = Object.keys(fields)
    .filter((p) => !known.has(p))
    .map((path) => ({ path, type: 'string', required: false, dataClass: 'not in the model' }));
  return (
    <table class="list mapping-fields">
      <caption>Fields of the model ← expressions</caption>
      <thead>
        <tr>
          <th scope="col">Field</th>
          <th scope="col">Expression</th>
        </tr>
      </thead>
      <tbody>
        {[...model, ...unknown].map((f) => {
          const id = domId(f.path);
          const mine = problems.filter((p) => problemField(p) === f.path);
          const failed = errors.filter((e) => e.target === f.path);
          const value = valueAt(firstEvent, f.path);
          return (
            <tr class={mine.length || failed.length ? 'has-error' : undefined}>
              <th scope="row" class="field-name">
                <label for={id} class="mono">
                  {f.path}
                </label>
                <span class="muted">
                  {f.type}
                  {f.oneOf && ` (${f.oneOf.join(' | ')})`} · {f.dataClass ?? 'unclassified'}
                </span>
                {f.required && <span class="tag">required</span>}
              </th>
              <td>
                <input
                  id={id}
                  class="mono wide"
                  autoComplete="off"
                  spellcheck={false}
                  readOnly={readOnly}
                  placeholder={f.description ?? ''}
                  value={fields[f.path]?.expr ?? ''}
                  aria-invalid={mine.length > 0 || failed.length > 0}
                  aria-describedby={`${id}-notes`}
                  onFocus={(e) => onFocus(f.path, e.currentTarget)}
                  onInput={(e) => onExpr(f.path, e.currentTarget.value)}
                />
                <div id={`${id}-notes`} class="field-notes">
                  {mine.map((p) => (
                    <p class="error">{describeProblem(p)}</p>
                  ))}
                  {failed.map((e) => (
                    <p class="error">
                      {f.path} (event {e.event}): {e.reason}
                      {e.value !== undefined && ` (value ${e.value})`}
                      {e.table && ` in table ${e.table}`}
                    </p>
                  ))}
                  {value !== undefined && (
                    <p class="muted">
                      → <code>{JSON.stringify(value)}</code>
                    </p>
                  )}
                </div>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
