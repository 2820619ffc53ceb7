import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, type Me } from '../api.ts';
import { FunctionCatalog } from '../components/function-catalog.tsx';
import { MappingFields } from '../components/mapping-fields.tsx';
import { MappingFixtures } from '../components/mapping-fixtures.tsx';
import { MappingOutput, MappingProblems } from '../components/mapping-output.tsx';
import { MappingSample } from '../components/mapping-sample.tsx';
import { MappingSettings, type ModelChoice } from '../components/mapping-settings.tsx';
import { MappingVersions } from '../components/mapping-versions.tsx';
import { useApi } from '../hooks.ts';
import type { FixtureResult, MappingDraft, MappingProblem, ModelField } from '../mapping-types.ts';
import { navigate, useLocation } from '../router.ts';
import { useMappingRuns } from '../use-mapping-runs.ts';
import { ErrorNote, Page } from '../ui.tsx';

const blankMapping = (): MappingDraft => ({
  id: '',
  description: '',
  model: 'ChargeEvent',
  modelVersion: 1,
  input: 'hl7',
  accepts: ['DFT^P03'],
  fields: {},
  fixtures: [],
});

/**
 * Creates a data mapping (no `id`) or edits one as its next version: the model's fields each with
 * an expression, a sample message whose values insert their path into the expression focused, a
 * live preview with every problem and field error beside its field, the fixtures run on every
 * change, and Save version. `?version=` opens an older version (saved again as the newest).
 */
export function MappingEditor({ id, me }: { id?: string; me: Me }) {
  const params = useLocation().searchParams;
  const saved = params.get('saved');
  const asked = params.get('version');
  const current = useApi<{ version: number; definition: MappingDraft }>(
    id ? `/api/mappings/${encodeURIComponent(id)}${asked ? `?version=${asked}` : ''}` : undefined,
  );
  const models = useApi<{ items: ModelChoice[] }>('/api/schemas');
  const [draft, setDraft] = useState<MappingDraft>(blankMapping);
  const [loaded, setLoaded] = useState(!id);
  const [sample, setSample] = useState('');
  const [comment, setComment] = useState('');
  /** What a refused save named, for the draft it was (a later edit shows the live check instead). */
  const [refused, setRefused] = useState<{ key: string; problems: MappingProblem[] }>();
  const [savedFixtures, setSavedFixtures] = useState<FixtureResult[]>();
  const [error, setError] = useState<Error>();
  const [pickHint, setPickHint] = useState(false);
  const focused = useRef<{ path: string; input: HTMLInputElement } | undefined>(undefined);
  const fields = useApi<{ items: ModelField[] }>(`/api/models/${encodeURIComponent(`${draft.model}.v${draft.modelVersion}`)}/fields`);
  const canTest = me.permissions.includes('transforms:test');
  const canWrite = me.permissions.includes('channels:write');
  const runs = useMappingRuns(draft, sample, canTest && loaded);
  useEffect(() => {
    if (!current.data) return;
    setDraft(current.data.definition);
    if (!sample) setSample(current.data.definition.fixtures[0]?.input ?? '');
    setLoaded(true);
  }, [current.data]);

  const setExpr = (path: string, expr: string) => {
    const next = { ...draft.fields };
    if (expr.trim() === '') delete next[path];
    else next[path] = { ...draft.fields[path], expr };
    setDraft({ ...draft, fields: next });
  };
  const insert = (expr: string) => {
    const f = focused.current;
    if (!f) return setPickHint(true);
    const el = f.input;
    const start = el.selectionStart ?? el.value.length;
    const end = el.selectionEnd ?? start;
    setExpr(f.path, el.value.slice(0, start) + expr + el.value.slice(end));
    requestAnimationFrame(() => (el.focus(), el.setSelectionRange(start + expr.length, start + expr.length)));
  };
  const save = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    setRefused(undefined);
    try {
      const q = comment.trim() ? `?comment=${encodeURIComponent(comment.trim())}` : '';
      const r = await api<{ version: number; fixtures: FixtureResult[] }>(
        'PUT',
        `/api/mappings/${encodeURIComponent(draft.id)}${q}`,
        draft,
      );
      setSavedFixtures(r.fixtures);
      setComment('');
      navigate(`/mappings/${encodeURIComponent(draft.id)}?saved=${r.version}`);
    } catch (err) {
      if (err instanceof ApiError && Array.isArray(err.body.problems))
        setRefused({ key: JSON.stringify(draft), problems: err.body.problems as MappingProblem[] });
      else setError(err as Error);
    }
  };

  const problems = runs.check?.problems ?? runs.preview?.problems ?? [];
  const failing = savedFixtures?.filter((f) => !f.passed).length ?? 0;
  const repeating = draft.forEach ? [draft.forEach.segment, ...(draft.forEach.along ?? [])] : [];
  return (
    <Page title={id ? `Mapping ${id}${current.data ? ` (from v${current.data.version})` : ''}` : 'New mapping'}>
      <p>
        <a href="/mappings">← Mappings</a>
      </p>
      {id && <MappingVersions key={saved ?? ''} id={id} shown={current.data?.version} />}
      <ErrorNote error={current.error ?? models.error ?? fields.error ?? error} />
      {saved && (
        <p class="ok" role="status">
          Saved version {saved}.{failing > 0 && ` ${failing} fixtures fail: a channel pinning it cannot be deployed.`}
        </p>
      )}
      {loaded && (
        <form class="mapping-editor" onSubmit={save}>
          <MappingSettings m={draft} isNew={!id} models={models.data?.items ?? []} readOnly={!canWrite} onChange={setDraft} />
          <div class="editor-columns">
            <MappingFields
              model={fields.data?.items ?? []}
              fields={draft.fields}
              problems={problems}
              errors={runs.preview?.errors ?? []}
              firstEvent={runs.preview?.events[0]}
              readOnly={!canWrite}
              onExpr={setExpr}
              onFocus={(path, input) => ((focused.current = { path, input }), setPickHint(false))}
            />
            <div class="mapping-side">
              <MappingSample input={draft.input} sample={sample} repeating={repeating} onSample={setSample} onPick={insert} />
              {pickHint && <p class="note">Click into an expression first: the value’s path goes there.</p>}
              <MappingOutput runs={runs} hasSample={sample.trim() !== ''} />
            </div>
          </div>
          <MappingProblems problems={refused?.key === JSON.stringify(draft) ? refused.problems : problems} />
          <MappingFixtures
            fixtures={draft.fixtures}
            results={runs.check?.fixtures}
            sample={sample}
            output={runs.preview && runs.preview.errors.length === 0 ? runs.preview.events : undefined}
            editable={canWrite}
            onChange={(fixtures) => setDraft({ ...draft, fixtures })}
            onLoad={setSample}
          />
          <FunctionCatalog />
          {canWrite && (
            <div class="actions save-bar">
              <div class="field grow">
                <label for="mapping-comment">Comment for this version</label>
                <input
                  id="mapping-comment"
                  class="wide"
                  maxLength={500}
                  value={comment}
                  onInput={(e) => setComment(e.currentTarget.value)}
                />
              </div>
              <button type="submit" disabled={!draft.id}>
                Save version
              </button>
            </div>
          )}
        </form>
      )}
    </Page>
  );
}
