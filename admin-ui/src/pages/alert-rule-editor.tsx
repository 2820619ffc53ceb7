import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type Me } from '../api.ts';
import {
  RULE_KINDS,
  RULE_TEMPLATES,
  type AlertRuleJson,
  type AlertRuleKind,
  type AlertRuleProblem,
  type AlertRuleValidation,
  type AlertRuleVersionJson,
} from '../alert-types.ts';
import { ProblemList } from '../components/problem-list.tsx';
import { RuleKindHelp } from '../components/rule-kind-help.tsx';
import { useApi } from '../hooks.ts';
import { navigate } from '../router.ts';
import { ErrorNote, json, Page } from '../ui.tsx';

const kindOf = (draft: unknown): AlertRuleKind | undefined => {
  const k = (draft as { kind?: unknown } | undefined)?.kind;
  return RULE_KINDS.find((x) => x === k);
};

/**
 * Creates an alert rule (no `id`: a kind picked fills in its parameters) or edits one as its next
 * version, as JSON: Validate asks the engine, Save version stores it (validated again, not
 * deployed) and opens the rule, where it is deployed. An unchanged definition keeps its version.
 */
export function AlertRuleEditor({ id }: { id?: string; me: Me }) {
  const current = useApi<AlertRuleJson>(id ? `/api/alert-rules/${encodeURIComponent(id)}` : undefined);
  const [text, setText] = useState(() => json(RULE_TEMPLATES['queue-depth']));
  const [draft, setDraft] = useState<unknown>(RULE_TEMPLATES['queue-depth']);
  const [jsonError, setJsonError] = useState<string>();
  const [comment, setComment] = useState('');
  const [problems, setProblems] = useState<AlertRuleProblem[]>();
  const [unchanged, setUnchanged] = useState<number>();
  const [error, setError] = useState<Error>();
  const [loaded, setLoaded] = useState(!id);
  useEffect(() => {
    if (!current.data) return;
    editText(json(current.data.definition));
    setLoaded(true);
  }, [current.data]);

  const editText = (t: string) => {
    setText(t);
    setProblems(undefined);
    setUnchanged(undefined);
    try {
      setDraft(JSON.parse(t));
      setJsonError(undefined);
    } catch (err) {
      setJsonError((err as Error).message);
    }
  };
  const pickKind = (kind: AlertRuleKind) => {
    const keep = draft && typeof draft === 'object' ? (draft as { id?: string; description?: string }) : {};
    editText(json({ ...RULE_TEMPLATES[kind], id: keep.id ?? '', ...(keep.description ? { description: keep.description } : {}) }));
  };
  const validate = () => {
    setError(undefined);
    void api<AlertRuleValidation>('POST', '/api/alert-rules/validate', draft).then((r) => setProblems(r.problems), setError);
  };
  const save = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    try {
      const q = comment.trim() ? `?comment=${encodeURIComponent(comment.trim())}` : '';
      const saved = await api<AlertRuleVersionJson>('POST', `/api/alert-rules${q}`, draft);
      if (current.data && saved.id === current.data.id && saved.version === current.data.version) return setUnchanged(saved.version);
      navigate(`/alert-rules/${encodeURIComponent(saved.id)}?saved=${saved.version}`);
    } catch (err) {
      if (err instanceof ApiError && Array.isArray(err.body.problems)) setProblems(err.body.problems as AlertRuleProblem[]);
      else setError(err as Error);
    }
  };
  const ruleId = (draft as { id?: unknown } | undefined)?.id;

  return (
    <Page title={id ? `Edit alert rule ${id}` : 'New alert rule'}>
      <p>
        <a href={id ? `/alert-rules/${encodeURIComponent(id)}` : '/alert-rules'}>← {id ? `Rule ${id}` : 'Alert rules'}</a>
      </p>
      <ErrorNote error={current.error ?? error} />
      {loaded && (
        <form class="alert-rule-editor" onSubmit={(e) => void save(e)}>
          {!id && (
            <div class="field">
              <label for="rule-kind">Kind</label>
              <select id="rule-kind" value={kindOf(draft) ?? ''} onChange={(e) => pickKind(e.currentTarget.value as AlertRuleKind)}>
                {RULE_KINDS.map((k) => (
                  <option value={k}>{k}</option>
                ))}
              </select>
            </div>
          )}
          <div class="json-view">
            <label for="rule-json">The rule as JSON</label>
            <textarea
              id="rule-json"
              class="mono"
              rows={18}
              spellcheck={false}
              value={text}
              aria-invalid={jsonError !== undefined}
              aria-describedby="rule-json-error rule-help"
              onInput={(e) => editText(e.currentTarget.value)}
            />
            <p id="rule-json-error" class="error">
              {jsonError && `Not JSON: ${jsonError}`}
            </p>
          </div>
          <div id="rule-help">
            <RuleKindHelp kind={kindOf(draft)} />
          </div>
          {problems && <ProblemList problems={problems} />}
          {unchanged !== undefined && (
            <p class="note" role="status">
              Nothing changed: v{unchanged} is the latest version already.
            </p>
          )}
          <div class="field">
            <label for="rule-comment">Comment for this version</label>
            <input id="rule-comment" class="wide" maxLength={500} value={comment} onInput={(e) => setComment(e.currentTarget.value)} />
          </div>
          <div class="actions">
            <button type="button" class="secondary" disabled={jsonError !== undefined} onClick={validate}>
              Validate
            </button>
            <button type="submit" disabled={jsonError !== undefined || typeof ruleId !== 'string' || ruleId === ''}>
              Save version
            </button>
          </div>
        </form>
      )}
    </Page>
  );
}
