import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type Me } from '../api.ts';
import { blankChannel, ChannelForm, type ChannelDraft, type TransformChoice } from '../components/channel-form.tsx';
import type { Connector } from '../components/destination-form.tsx';
import { ProblemList, type Problem } from '../components/problem-list.tsx';
import { TrafficPreview } from '../components/traffic-preview.tsx';
import { useApi } from '../hooks.ts';
import type { MappingItem, TableItem } from '../mapping-types.ts';
import { navigate } from '../router.ts';
import { ErrorNote, json, Page } from '../ui.tsx';

/**
 * Creates a channel (no `id`) or edits one as a new version: the form and the JSON view edit the
 * same definition; Validate asks the engine, Save stores a version (validated again, not deployed)
 * and opens the channel, where it is deployed. Secrets arrive masked and, left so, are kept.
 */
export function ChannelEditor({ id, me }: { id?: string; me: Me }) {
  const current = useApi<{ definition: ChannelDraft; deployedVersion: number | null }>(
    id ? `/api/channels/${encodeURIComponent(id)}` : undefined,
  );
  const transforms = useApi<{ items: TransformChoice[] }>('/api/transforms');
  const mappings = useApi<{ items: MappingItem[] }>('/api/mappings');
  const tables = useApi<{ items: TableItem[] }>(me.permissions.includes('tables:read') ? '/api/tables' : undefined);
  const connectors = useApi<{ items: Connector[] }>('/api/connectors');
  const [draft, setDraft] = useState<ChannelDraft>(blankChannel);
  const [text, setText] = useState(json(blankChannel()));
  const [jsonError, setJsonError] = useState<string>();
  const [comment, setComment] = useState('');
  const [problems, setProblems] = useState<Problem[]>();
  const [error, setError] = useState<Error>();
  /** An existing channel's form appears once its definition is in it. */
  const [loaded, setLoaded] = useState(!id);
  useEffect(() => {
    if (!current.data) return;
    edit(current.data.definition);
    setLoaded(true);
  }, [current.data]);

  const edit = (c: ChannelDraft) => {
    setDraft(c);
    setText(json(c));
    setJsonError(undefined);
    setProblems(undefined);
  };
  const editText = (t: string) => {
    setText(t);
    setProblems(undefined);
    try {
      setDraft(JSON.parse(t) as ChannelDraft);
      setJsonError(undefined);
    } catch (err) {
      setJsonError((err as Error).message);
    }
  };
  const validate = async () => {
    setError(undefined);
    await api<{ problems: Problem[] }>('POST', '/api/channels/validate', draft).then((r) => setProblems(r.problems), setError);
  };
  const save = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    try {
      const q = comment.trim() ? `?comment=${encodeURIComponent(comment.trim())}` : '';
      const saved = await api<{ version: number }>('PUT', `/api/channels/${encodeURIComponent(draft.id)}${q}`, draft);
      navigate(`/channels/${encodeURIComponent(draft.id)}?saved=${saved.version}`);
    } catch (err) {
      if (err instanceof ApiError && Array.isArray(err.body.problems)) setProblems(err.body.problems as Problem[]);
      else setError(err as Error);
    }
  };

  return (
    <Page title={id ? `Edit channel ${id}` : 'New channel'}>
      <ErrorNote error={current.error ?? transforms.error ?? mappings.error ?? tables.error ?? connectors.error ?? error} />
      {loaded && (
        <form class="channel-editor" onSubmit={save}>
          <div class="editor-columns">
            <ChannelForm
              c={draft}
              isNew={!id}
              transforms={transforms.data?.items ?? []}
              mappings={mappings.data?.items ?? []}
              tables={tables.data?.items ?? []}
              connectors={connectors.data?.items ?? []}
              onChange={edit}
            />
            <div class="json-view">
              <label for="ch-json">The channel as JSON</label>
              <textarea
                id="ch-json"
                class="mono"
                rows={30}
                spellcheck={false}
                value={text}
                aria-invalid={jsonError !== undefined}
                aria-describedby="ch-json-error"
                onInput={(e) => editText(e.currentTarget.value)}
              />
              <p id="ch-json-error" class="error">
                {jsonError && `Not JSON: ${jsonError}`}
              </p>
            </div>
          </div>
          {problems && <ProblemList problems={problems} />}
          <div class="field">
            <label for="ch-comment">Comment for this version</label>
            <input id="ch-comment" class="wide" maxLength={500} value={comment} onInput={(e) => setComment(e.currentTarget.value)} />
          </div>
          <div class="actions">
            <button type="button" class="secondary" disabled={jsonError !== undefined} onClick={() => void validate()}>
              Validate
            </button>
            <button type="submit" disabled={jsonError !== undefined || !draft.id}>
              Save version
            </button>
            <a href={id ? `/channels/${id}` : '/channels'}>Cancel</a>
          </div>
        </form>
      )}
      {loaded && id && current.data?.deployedVersion !== null && me.permissions.includes('transforms:test') && (
        <TrafficPreview channel={draft} />
      )}
    </Page>
  );
}
