import { useState } from 'preact/hooks';
import { api, ApiError } from '../api.ts';
import type { AlertRuleBundle, AlertRuleImportResult, AlertRuleProblem } from '../alert-types.ts';
import { ErrorNote } from '../ui.tsx';
import { ProblemList } from './problem-list.tsx';

/**
 * Imports a bundle of alert rules (the JSON `Export` downloads, `format: switchboard-alert-rules`)
 * chosen as a file or pasted, by `POST /api/alert-rules/import`: each rule is saved as its next
 * version (origin `import`, not deployed; an unchanged one keeps its version). Says what became
 * of each rule, or the problems that refused the bundle. `onImported` reads the list again.
 */
export function AlertRuleImport({ onImported }: { onImported(): void }) {
  const [text, setText] = useState('');
  const [result, setResult] = useState<AlertRuleImportResult>();
  const [problems, setProblems] = useState<AlertRuleProblem[]>();
  const [error, setError] = useState<Error | string>();
  const [busy, setBusy] = useState(false);

  const pick = async (files: FileList | null) => {
    const file = files?.[0];
    if (file) setText(await file.text());
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    setResult(undefined);
    setProblems(undefined);
    setError(undefined);
    let bundle: AlertRuleBundle;
    try {
      bundle = JSON.parse(text) as AlertRuleBundle;
    } catch (err) {
      return setError(`Not JSON: ${(err as Error).message}`);
    }
    setBusy(true);
    try {
      setResult(await api<AlertRuleImportResult>('POST', '/api/alert-rules/import', bundle));
      onImported();
    } catch (err) {
      if (err instanceof ApiError && Array.isArray(err.body.problems)) setProblems(err.body.problems as AlertRuleProblem[]);
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <details class="alert-rule-import">
      <summary>Import rules…</summary>
      <form class="card" onSubmit={(e) => void submit(e)}>
        <div class="field">
          <label for="rules-file">A bundle exported from a Switchboard (JSON)</label>
          <input id="rules-file" type="file" accept="application/json,.json" onChange={(e) => void pick(e.currentTarget.files)} />
        </div>
        <div class="field">
          <label for="rules-json">Or paste it here</label>
          <textarea id="rules-json" class="mono" rows={8} spellcheck={false} value={text} onInput={(e) => setText(e.currentTarget.value)} />
        </div>
        <button type="submit" disabled={busy || text.trim() === ''}>
          Import
        </button>
      </form>
      <ErrorNote error={error} />
      {problems && <ProblemList problems={problems} />}
      {result && (
        <div role="status">
          <p class="ok">
            Imported {result.items.length} {result.items.length === 1 ? 'rule' : 'rules'}; deploy each to evaluate it.
          </p>
          <ul>
            {result.items.map((r) => (
              <li>
                <a href={`/alert-rules/${encodeURIComponent(r.id)}`}>{r.id}</a> v{r.version} {r.created ? '(new version)' : '(unchanged)'}
              </li>
            ))}
          </ul>
        </div>
      )}
    </details>
  );
}
