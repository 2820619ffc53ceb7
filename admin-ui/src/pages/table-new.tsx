import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { CsvImport } from '../components/csv-import.tsx';
import { navigate } from '../router.ts';
import { Page } from '../ui.tsx';

/** A new lookup table from a CSV file: its name, then the file (header row first, the key column first). */
export function TableNew() {
  const [name, setName] = useState('');
  const [comment, setComment] = useState('');
  const importCsv = async (csv: string) => {
    const q = comment.trim() ? `?comment=${encodeURIComponent(comment.trim())}` : '';
    const saved = await api<{ version: number }>('PUT', `/api/tables/${encodeURIComponent(name)}/csv${q}`, csv, 'text/csv');
    navigate(`/tables/${encodeURIComponent(name)}?saved=${saved.version}`);
  };
  return (
    <Page title="New lookup table">
      <p>
        <a href="/tables">← Lookup tables</a>
      </p>
      <div class="row">
        <div class="field">
          <label for="table-name">Table name</label>
          <input id="table-name" required pattern="[a-z0-9][a-z0-9\-]{0,62}" value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </div>
        <div class="field grow">
          <label for="table-comment">Comment for this version</label>
          <input id="table-comment" maxLength={500} value={comment} onInput={(e) => setComment(e.currentTarget.value)} />
        </div>
      </div>
      <p class="hint">A key not in the table fails the field naming the table and the key; a default can be set once it is saved.</p>
      {/^[a-z0-9][a-z0-9-]{0,62}$/.test(name) ? (
        <CsvImport label={`Rows of ${name}`} onImport={importCsv} />
      ) : (
        <p class="muted">A name first: lower-case letters, digits and dashes.</p>
      )}
    </Page>
  );
}
