import { useId, useState } from 'preact/hooks';
import { ErrorNote } from '../ui.tsx';

/**
 * A CSV file chosen or pasted (the header row first, the key column first), handed to `onImport`;
 * its refusal (the lines at fault) is shown under the form.
 */
export function CsvImport({ label, onImport }: { label: string; onImport(csv: string): Promise<unknown> }) {
  const id = useId();
  const [csv, setCsv] = useState('');
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);
  const choose = async (input: HTMLInputElement) => {
    const file = input.files?.[0];
    if (file) setCsv(await file.text());
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await onImport(csv);
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="csv-import card" onSubmit={submit}>
      <h2>{label}</h2>
      <label for={`${id}-file`}>CSV file</label>
      <input id={`${id}-file`} type="file" accept=".csv,text/csv" onChange={(e) => void choose(e.currentTarget)} />
      <label for={`${id}-text`}>CSV text (header row first, the key column first)</label>
      <textarea id={`${id}-text`} class="mono" rows={6} spellcheck={false} value={csv} onInput={(e) => setCsv(e.currentTarget.value)} />
      <button type="submit" disabled={busy || csv.trim() === ''}>
        Import CSV
      </button>
      <ErrorNote error={error} />
    </form>
  );
}
