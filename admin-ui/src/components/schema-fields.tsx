import { useState } from 'preact/hooks';

/** The part of a JSON Schema (as TypeBox writes it) that the settings form reads. */
export interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  anyOf?: JsonSchema[];
  const?: unknown;
  description?: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
}

type Obj = Record<string, unknown>;

/** A JSON value edited as text: applied when it parses, otherwise the problem is shown. */
function JsonField({ id, value, onChange, describedBy }: { id: string; value: unknown; onChange(v: unknown): void; describedBy?: string }) {
  const [text, setText] = useState(value === undefined ? '' : JSON.stringify(value));
  const [bad, setBad] = useState(false);
  const apply = (t: string) => {
    setText(t);
    try {
      onChange(t.trim() === '' ? undefined : JSON.parse(t));
      setBad(false);
    } catch {
      setBad(true);
    }
  };
  return (
    <textarea
      id={id}
      class="mono"
      rows={2}
      value={text}
      aria-invalid={bad}
      aria-describedby={describedBy}
      onInput={(e) => apply(e.currentTarget.value)}
    />
  );
}

/**
 * A form for an object from its declared JSON Schema (a connector's settings): text, number,
 * yes/no and choice fields for simple properties, JSON for nested ones. Secrets are password fields
 * (they arrive masked and the engine keeps the stored value when they come back unchanged).
 * An emptied optional field is removed, so the connector's default applies.
 */
export function SchemaFields({
  schema,
  value,
  secrets,
  idPrefix,
  onChange,
}: {
  schema: JsonSchema;
  value: Obj;
  secrets: readonly string[];
  idPrefix: string;
  onChange(v: Obj): void;
}) {
  const set = (k: string, v: unknown) => {
    const next = { ...value };
    if (v === undefined || v === '') delete next[k];
    else next[k] = v;
    onChange(next);
  };
  return (
    <div class="schema-fields">
      {Object.entries(schema.properties ?? {}).map(([k, s]) => {
        const id = `${idPrefix}-${k}`;
        const hint = s.description || s.default !== undefined ? `${id}-hint` : undefined;
        const choices = s.anyOf?.every((a) => a.const !== undefined) ? s.anyOf.map((a) => String(a.const)) : undefined;
        const v = value[k];
        let input;
        if (choices) {
          input = (
            <select
              id={id}
              value={v === undefined ? '' : String(v)}
              aria-describedby={hint}
              onChange={(e) => set(k, e.currentTarget.value)}
            >
              <option value="">(default)</option>
              {choices.map((c) => (
                <option value={c}>{c}</option>
              ))}
            </select>
          );
        } else if (s.type === 'boolean') {
          input = (
            <input
              id={id}
              type="checkbox"
              checked={v === true}
              aria-describedby={hint}
              onChange={(e) => set(k, e.currentTarget.checked || undefined)}
            />
          );
        } else if (s.type === 'integer' || s.type === 'number') {
          input = (
            <input
              id={id}
              type="number"
              min={s.minimum}
              max={s.maximum}
              value={v === undefined ? '' : String(v)}
              aria-describedby={hint}
              onInput={(e) => set(k, e.currentTarget.value === '' ? undefined : Number(e.currentTarget.value))}
            />
          );
        } else if (s.type === 'string') {
          const text = {
            id,
            autoComplete: 'off',
            value: typeof v === 'string' ? v : '',
            'aria-describedby': hint,
            onInput: (e: { currentTarget: HTMLInputElement }) => set(k, e.currentTarget.value),
          };
          input = secrets.includes(k) ? <input type="password" {...text} /> : <input type="text" {...text} />;
        } else {
          input = <JsonField id={id} value={v} describedBy={hint} onChange={(x) => set(k, x)} />;
        }
        return (
          <div class="field">
            <label for={id}>
              {k}
              {!schema.required?.includes(k) && <span class="muted"> (optional)</span>}
            </label>
            {input}
            {hint && (
              <p class="hint" id={hint}>
                {s.description}
                {s.default !== undefined && ` Default: ${JSON.stringify(s.default)}.`}
              </p>
            )}
          </div>
        );
      })}
    </div>
  );
}
