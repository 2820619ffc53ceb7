import { useState } from 'preact/hooks';
import { api, ApiError, type Me } from '../api.ts';
import { useApi } from '../hooks.ts';
import { ErrorNote, json, Page } from '../ui.tsx';

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

interface FieldError {
  event: number;
  target: string;
  source: string;
  value?: string;
  reason: string;
}

type Outcome = { events: unknown[] } | { errors: FieldError[] } | { problem: Error };

function OutcomeView({ o }: { o: Outcome }) {
  if ('problem' in o) return <ErrorNote error={o.problem} />;
  if ('events' in o)
    return (
      <section aria-labelledby="out-title">
        <h2 id="out-title">Canonical output ({o.events.length})</h2>
        <pre class="code canonical">{json(o.events)}</pre>
      </section>
    );
  return (
    <section aria-labelledby="err-title" role="alert">
      <h2 id="err-title">
        Field errors ({o.errors.length})
      </h2>
      <table class="list">
        <thead>
          <tr>
            <th scope="col">Event</th>
            <th scope="col">Target</th>
            <th scope="col">Source</th>
            <th scope="col">Value</th>
            <th scope="col">Reason</th>
          </tr>
        </thead>
        <tbody>
          {o.errors.map((e) => (
            <tr>
              <td>{e.event}</td>
              <td class="mono">{e.target}</td>
              <td class="mono">{e.source}</td>
              <td class="mono">{e.value}</td>
              <td>{e.reason}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** Pick a transform, see it as target ← source, paste a sample and run it (the sample is not stored). */
export function TransformBench({ me }: { me: Me }) {
  const list = useApi<{ items: TransformInfo[] }>('/api/transforms');
  const [id, setId] = useState('');
  const [sample, setSample] = useState('');
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
