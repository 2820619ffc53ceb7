import { useState } from 'preact/hooks';

const PAGE = 50;

/**
 * The rows of a lookup table, a page of 50 at a time, filtered by any cell containing the text
 * typed. Editable: every cell is an input (labelled with its column and row), rows are added at
 * the end and deleted; `onChange` gets the whole new list of rows.
 */
export function TableRows({
  columns,
  rows,
  editable,
  onChange,
}: {
  columns: string[];
  rows: string[][];
  editable: boolean;
  onChange(rows: string[][]): void;
}) {
  const [filter, setFilter] = useState('');
  const [page, setPage] = useState(0);
  const needle = filter.trim().toLowerCase();
  const shown = rows.map((r, i) => ({ r, i })).filter(({ r }) => !needle || r.some((c) => c.toLowerCase().includes(needle)));
  const pages = Math.max(1, Math.ceil(shown.length / PAGE));
  const at = Math.min(page, pages - 1);
  const setCell = (i: number, c: number, v: string) => onChange(rows.map((r, j) => (j === i ? r.map((x, k) => (k === c ? v : x)) : r)));
  const add = () => {
    onChange([...rows, columns.map(() => '')]);
    setFilter('');
    setPage(Math.floor(rows.length / PAGE));
  };

  return (
    <div class="table-rows">
      <div class="filters">
        <div class="field">
          <label for="rows-filter">Filter rows</label>
          <input id="rows-filter" type="search" value={filter} onInput={(e) => (setFilter(e.currentTarget.value), setPage(0))} />
        </div>
        <p class="muted" role="status">
          {shown.length} of {rows.length} rows · page {at + 1} of {pages}
        </p>
        <button type="button" class="secondary" disabled={at === 0} onClick={() => setPage(at - 1)}>
          Previous page
        </button>
        <button type="button" class="secondary" disabled={at >= pages - 1} onClick={() => setPage(at + 1)}>
          Next page
        </button>
        {editable && (
          <button type="button" class="secondary" onClick={add}>
            Add a row
          </button>
        )}
      </div>
      <table class="list rows">
        <thead>
          <tr>
            {columns.map((c, k) => (
              <th scope="col">
                {c}
                {k === 0 && <span class="tag">key</span>}
              </th>
            ))}
            {editable && (
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {shown.slice(at * PAGE, (at + 1) * PAGE).map(({ r, i }) => (
            <tr>
              {columns.map((c, k) => (
                <td class="mono">
                  {editable ? (
                    <input aria-label={`${c} of row ${i + 1}`} value={r[k] ?? ''} onInput={(e) => setCell(i, k, e.currentTarget.value)} />
                  ) : (
                    r[k]
                  )}
                </td>
              ))}
              {editable && (
                <td>
                  <button type="button" class="danger" onClick={() => onChange(rows.filter((_, j) => j !== i))}>
                    Delete row {i + 1}
                  </button>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
