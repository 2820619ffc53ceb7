import type { TableDefinition } from '../mapping-types.ts';

/**
 * What a lookup does with a key the table has not: fail the field (naming the table and the key),
 * or give a default value for each non-key column.
 */
export function TableMissing({
  columns,
  onMissing,
  disabled,
  onChange,
}: {
  columns: string[];
  onMissing: TableDefinition['onMissing'];
  disabled: boolean;
  onChange(o: TableDefinition['onMissing']): void;
}) {
  const defaults = 'default' in onMissing ? onMissing.default : undefined;
  const setDefault = (column: string, value: string) => onChange({ default: { ...defaults, [column]: value } });
  return (
    <fieldset class="pins" disabled={disabled}>
      <legend>A key not in the table</legend>
      <div class="row">
        <div class="field">
          <label for="table-missing">Then</label>
          <select
            id="table-missing"
            value={defaults ? 'default' : 'error'}
            onChange={(e) => onChange(e.currentTarget.value === 'default' ? { default: {} } : { error: true })}
          >
            <option value="error">the field fails (the message is errored, replayable once fixed)</option>
            <option value="default">the default values below are used</option>
          </select>
        </div>
        {defaults &&
          columns.slice(1).map((c) => (
            <div class="field">
              <label for={`table-default-${c}`}>Default {c}</label>
              <input id={`table-default-${c}`} value={defaults[c] ?? ''} onInput={(e) => setDefault(c, e.currentTarget.value)} />
            </div>
          ))}
      </div>
    </fieldset>
  );
}
