import type { AlertRuleJson } from '../alert-types.ts';

/** A lifecycle step of a rule: deploy a version (evaluate it), enable it again, disable it. */
export type RuleAction = { to: 'deploy'; version: number } | { to: 'enable' } | { to: 'disable' };

/**
 * The lifecycle buttons of a rule for `alerts:write`, as its deployment allows: deploy the latest
 * version when it is not the deployed one, disable an enabled rule, enable a disabled one; and the
 * link to edit it (a new version). `act` sends the step (the page says how it went).
 */
export function AlertRuleActions({ rule, busy, act }: { rule: AlertRuleJson; busy: boolean; act(a: RuleAction): void }) {
  const d = rule.deployment;
  return (
    <div class="actions">
      {d.version !== rule.version && (
        <button type="button" disabled={busy} onClick={() => act({ to: 'deploy', version: rule.version })}>
          Deploy v{rule.version}
        </button>
      )}
      {d.state === 'enabled' && (
        <button type="button" class="secondary" disabled={busy} onClick={() => act({ to: 'disable' })}>
          Disable
        </button>
      )}
      {d.state === 'disabled' && (
        <button type="button" disabled={busy} onClick={() => act({ to: 'enable' })}>
          Enable
        </button>
      )}
      <a class="button secondary" href={`/alert-rules/${encodeURIComponent(rule.id)}/edit`}>
        Edit
      </a>
    </div>
  );
}
