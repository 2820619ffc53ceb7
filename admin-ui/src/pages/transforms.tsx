import { useState } from 'preact/hooks';
import { api, ApiError, get, type Me } from '../api.ts';
import { OutcomeView, type FieldError, type Outcome } from '../components/bench-outcome.tsx';
import { useApi } from '../hooks.ts';
import { useLocation } from '../router.ts';
import type { Message } from '../types.ts';
import { ErrorNote, Page } from '../ui.tsx';

interface TransformInfo {
  id: string;
  version: number;
  description: string;
  input: 'hl7' | 'fhir';
  accepts: string[];
  model: string;
  modelVersion: number;
  forEach: string | null;
  rows: { target: string; source: string; required: boolean }[];
}

/** Pick a transform, see it as target ← source, paste a sample or load a stored message, and run it (the sample is not stored). */
export function TransformBench({ me }: { me: Me }) {
  const list = useApi<{ items: TransformInfo[] }>('/api/transforms');
  const [id, setId] = useState('');
  const [sample, setSample] = useState('');
  const [stored, setStored] = useState(useLocation().searchParams.get('message') ?? '');
  const [loadError, setLoadError] = useState<Error>();
  const [outcome, setOutcome] = useState<Outcome>();
  const [busy, setBusy] = useState(false);
  const t = list.data?.items.find((x) => x.id === id);
  const canRun = me.permissions.includes('transforms:test');

  const run = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      // HL7v2 segments end in CR; a pasted sample has line feeds, which the engine also reads.
      const r = await api<{ events: unknown[] }>('POST', `/api/transforms/${encodeURIComponent(id)}/run`, { message: sample });
      setOutcome({ events: r.events });
    } catch (err) {
      const errors = err instanceof ApiError && err.status === 422 ? (err.body.errors as FieldError[] | undefined) : undefined;
      setOutcome(errors ? { errors } : { problem: err as Error });
    } finally {
      setBusy(false);
    }
  };

  /** A stored message as the sample (masked like any view for a user without the PHI permission). */
  const load = () =>
    get<Message>(`/api/messages/${encodeURIComponent(stored.trim())}`).then((m) => {
      setSample(
        m.format === 'hl7v2'
          ? m.raw
              .split(/\r\n|\r|\n/)
              .filter(Boolean)
              .join('\n')
          : m.raw,
      );
      setLoadError(undefined);
    }, setLoadError);

  return (
    <Page title="Transform test bench">
      <ErrorNote error={list.error} />
      <form class="bench" onSubmit={run}>
        <div class="field">
          <label for="transform">Transform</label>
          <select id="transform" value={id} onChange={(e) => (setId(e.currentTarget.value), setOutcome(undefined))}>
            <option value="">choose…</option>
            {list.data?.items.map((x) => (
              <option value={x.id}>
                {x.id} v{x.version}
              </option>
            ))}
          </select>
        </div>
        {canRun && (
          <>
            <div class="filters">
              <div class="field">
                <label for="stored">Stored message id</label>
                <input id="stored" class="mono" size={40} value={stored} onInput={(e) => setStored(e.currentTarget.value)} />
              </div>
              <button type="button" class="secondary" disabled={!stored.trim()} onClick={() => void load()}>
                Load as sample
              </button>
            </div>
            <ErrorNote error={loadError} />
            <label for="sample">Sample message ({t?.input === 'fhir' ? 'FHIR JSON' : 'HL7v2'})</label>
            <textarea id="sample" class="mono" rows={8} required value={sample} onInput={(e) => setSample(e.currentTarget.value)} />
            <button type="submit" disabled={busy || !t}>
              Run
            </button>
          </>
        )}
      </form>
      {outcome && <OutcomeView o={outcome} />}
      {t && (
        <section aria-labelledby="rows-title">
          <h2 id="rows-title">
            {t.id} v{t.version}: {t.accepts.join(', ')} → {t.model} v{t.modelVersion}
            {t.forEach && ` (one per ${t.forEach})`}
          </h2>
          <p>{t.description}</p>
          <table class="list mapping">
            <thead>
              <tr>
                <th scope="col">Target</th>
                <th scope="col" class="arrow">
                  <span class="sr-only">from</span>
                </th>
                <th scope="col">Source</th>
              </tr>
            </thead>
            <tbody>
              {t.rows.map((r) => (
                <tr>
                  <td class="mono">
                    {r.target}
                    {r.required && [' ', <span class="tag">required</span>]}
                  </td>
                  <td class="arrow" aria-hidden="true">
                    ←
                  </td>
                  <td class="mono">{r.source}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </Page>
  );
}
