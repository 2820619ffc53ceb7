import type { Me } from '../api.ts';
import { ruleCondition, ruleScope, type AlertRuleList } from '../alert-types.ts';
import { AlertRuleImport } from '../components/alert-rule-import.tsx';
import { useApi, useInterval } from '../hooks.ts';
import { Badge, ErrorNote, Page, when } from '../ui.tsx';

/**
 * Alert rules: each rule's state (enabled, disabled, undeployed), deployed and latest version, what
 * it watches and its open alerts. With `alerts:write`: a new rule, and import of a bundle. Export
 * downloads every rule's latest version as a bundle. Read again every 10 s.
 */
export function AlertRules({ me }: { me: Me }) {
  const list = useApi<AlertRuleList>('/api/alert-rules');
  useInterval(list.reload, 10_000);
  const canWrite = me.permissions.includes('alerts:write');
  return (
    <Page
      title="Alert rules"
      actions={
        <div class="actions">
          <a class="button secondary" href="/api/alert-rules/export" download="alert-rules.json">
            Export
          </a>
          {canWrite && (
            <a class="button" href="/alert-rules/new">
              New rule
            </a>
          )}
        </div>
      }
    >
      <p>
        <a href="/alerts">Alerts now and their history</a>
      </p>
      <ErrorNote error={list.error} />
      <table class="list alert-rules">
        <thead>
          <tr>
            <th scope="col">Rule</th>
            <th scope="col">Watches</th>
            <th scope="col">Condition</th>
            <th scope="col">State</th>
            <th scope="col">Version</th>
            <th scope="col">Open alerts</th>
            <th scope="col">Changed</th>
          </tr>
        </thead>
        <tbody>
          {list.data?.items.map((r) => (
            <tr>
              <td>
                <a href={`/alert-rules/${encodeURIComponent(r.id)}`}>{r.id}</a>
                {r.definition.description && <div class="muted">{r.definition.description}</div>}
              </td>
              <td>{ruleScope(r.definition)}</td>
              <td>
                {r.kind}: {ruleCondition(r.definition)}
              </td>
              <td>
                <Badge value={r.deployment.state} />
              </td>
              <td>
                {r.deployment.version !== null ? `v${r.deployment.version}` : '—'}
                {r.deployment.version !== r.version && <span class="muted"> (latest v{r.version})</span>}
              </td>
              <td>{r.open > 0 ? <a href={`/alerts?rule=${encodeURIComponent(r.id)}`}>{r.open}</a> : 0}</td>
              <td>
                {when(r.at)} by {r.author}
                {r.comment && <div class="muted">{r.comment}</div>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {list.data?.items.length === 0 && <p class="empty">No alert rule yet.</p>}
      {canWrite && <AlertRuleImport onImported={list.reload} />}
    </Page>
  );
}
