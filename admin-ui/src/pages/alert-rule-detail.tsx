import { useState } from 'preact/hooks';
import { api, get, type Me } from '../api.ts';
import {
  ruleCondition,
  ruleScope,
  type AlertRuleDeploymentJson,
  type AlertRuleDiffJson,
  type AlertRuleJson,
  type AlertRuleVersionList,
} from '../alert-types.ts';
import { AlertRuleActions, type RuleAction } from '../components/alert-rule-actions.tsx';
import { DefinitionDiff } from '../components/definition-diff.tsx';
import { VersionsTable } from '../components/versions-table.tsx';
import { useAction, useApi } from '../hooks.ts';
import { useLocation } from '../router.ts';
import { ActionOutcome, Badge, ErrorNote, json, Page, when } from '../ui.tsx';

const DONE: Record<RuleAction['to'], string> = { deploy: 'Deployed', enable: 'Enabled', disable: 'Disabled' };

/**
 * One alert rule: its state and deployment, what it watches, its open alerts; its versions (each
 * viewable, each diffed with the one before, an older one deployable again) and the definition of
 * the version shown (`?version=`, default the latest). With `alerts:write`: deploy, enable,
 * disable, edit. A deploy of a version other than the latest asks first.
 */
export function AlertRuleDetail({ id, me }: { id: string; me: Me }) {
  const params = useLocation().searchParams;
  const saved = params.get('saved');
  const shown = params.get('version');
  const base = `/api/alert-rules/${encodeURIComponent(id)}`;
  const rule = useApi<AlertRuleJson>(base);
  const version = useApi<AlertRuleJson>(shown ? `${base}?version=${encodeURIComponent(shown)}` : undefined);
  const versions = useApi<AlertRuleVersionList>(`${base}/versions`);
  const [diff, setDiff] = useState<AlertRuleDiffJson>();
  const [diffError, setDiffError] = useState<Error>();
  const action = useAction(() => (rule.reload(), versions.reload()));
  const canWrite = me.permissions.includes('alerts:write');
  const r = rule.data;
  const definition = (shown ? version.data : r)?.definition;

  const act = (a: RuleAction) => {
    if (a.to === 'deploy' && r && a.version !== r.version && !confirm(`Deploy version ${a.version}, not the latest (v${r.version})?`))
      return;
    void action.run(async () => {
      const d = await api<AlertRuleDeploymentJson>('POST', `${base}/${a.to}`, a.to === 'deploy' ? { version: a.version } : {});
      return `${DONE[a.to]}: rule ${id} is ${d.state}${d.version !== null ? ` (v${d.version})` : ''}.`;
    });
  };
  const showDiff = (v: number) =>
    get<AlertRuleDiffJson>(`${base}/diff?from=${v - 1}&to=${v}`).then((d) => (setDiff(d), setDiffError(undefined)), setDiffError);

  return (
    <Page title={`Alert rule ${id}`} actions={canWrite && r && <AlertRuleActions rule={r} busy={action.busy} act={act} />}>
      <p>
        <a href="/alert-rules">← Alert rules</a> · <a href={`/alerts?rule=${encodeURIComponent(id)}`}>Alerts of {id}</a>
      </p>
      <ErrorNote error={rule.error ?? version.error ?? versions.error ?? diffError} />
      <ActionOutcome action={action} />
      {saved && r?.version === Number(saved) && r.deployment.version !== r.version && (
        <p class="ok">Saved version {saved}. It is evaluated once deployed.</p>
      )}
      {r && (
        <dl class="facts">
          <dt>State</dt>
          <dd>
            <Badge value={r.deployment.state} />
          </dd>
          <dt>Deployed</dt>
          <dd>
            {r.deployment.version !== null ? `v${r.deployment.version}` : '—'}
            {r.deployment.updatedAt && ` by ${r.deployment.updatedBy ?? '?'}, ${when(r.deployment.updatedAt)}`}
          </dd>
          <dt>Latest</dt>
          <dd>
            v{r.version} by {r.author}, {when(r.at)}
          </dd>
          <dt>Watches</dt>
          <dd>
            {ruleScope(r.definition)}: {ruleCondition(r.definition)}
          </dd>
          <dt>Open alerts</dt>
          <dd>{r.open}</dd>
        </dl>
      )}
      <h2>Versions</h2>
      <VersionsTable
        versions={versions.data?.items}
        current={shown ? Number(shown) : r?.version}
        label={(v) => ['v', v.version, r?.deployment.version === v.version && [' ', <span class="tag">deployed</span>]]}
        actions={(v) => (
          <div class="actions">
            <a href={`/alert-rules/${encodeURIComponent(id)}?version=${v.version}`}>View v{v.version}</a>
            {v.version > 1 && (
              <button type="button" class="secondary" onClick={() => void showDiff(v.version)}>
                Diff v{v.version - 1} → v{v.version}
              </button>
            )}
            {canWrite && r && v.version !== r.deployment.version && v.version !== r.version && (
              <button type="button" class="secondary" disabled={action.busy} onClick={() => act({ to: 'deploy', version: v.version })}>
                Deploy v{v.version}
              </button>
            )}
          </div>
        )}
      />
      {diff && (
        <DefinitionDiff from={diff.from} to={diff.to} changes={diff.changes.map((c) => ({ path: c.path, before: c.from, after: c.to }))} />
      )}
      <h2>Definition{shown ? ` of v${shown}` : r ? ` of v${r.version} (latest)` : ''}</h2>
      {definition && <pre class="code">{json(definition)}</pre>}
    </Page>
  );
}
