import type { AlertInstanceJson } from '../alert-types.ts';
import { durationText, subjectText } from '../alert-types.ts';
import { Badge, when } from '../ui.tsx';

/**
 * An alert instance's facts: state and severity, the rule (linked) and its version, the subject,
 * the summary, the observed value against the threshold, when it started, fired, resolved and was
 * last evaluated, and the silence holding its notifications.
 */
export function AlertFacts({ a }: { a: AlertInstanceJson }) {
  const end = a.resolvedAt ? Date.parse(a.resolvedAt) : Date.now();
  return (
    <dl class="facts alert-facts">
      <dt>State</dt>
      <dd>
        <Badge value={a.state} /> <span class={`severity severity-${a.severity}`}>{a.severity}</span>
      </dd>
      <dt>Rule</dt>
      <dd>
        <a href={`/alert-rules/${encodeURIComponent(a.ruleId)}`}>{a.ruleId}</a> v{a.ruleVersion} <span class="muted">({a.kind})</span>
      </dd>
      <dt>Subject</dt>
      <dd>{subjectText(a.subject)}</dd>
      <dt>Summary</dt>
      <dd>{a.summary}</dd>
      <dt>Value / threshold</dt>
      <dd class="mono">
        {a.value ?? '—'} / {a.threshold ?? '—'}
      </dd>
      <dt>Started</dt>
      <dd>
        {when(a.startedAt)} <span class="muted">({durationText(end - Date.parse(a.startedAt))} in all)</span>
      </dd>
      <dt>Fired</dt>
      <dd>{a.firedAt ? when(a.firedAt) : 'not yet'}</dd>
      <dt>Resolved</dt>
      <dd>{a.resolvedAt ? when(a.resolvedAt) : 'not yet'}</dd>
      <dt>Last evaluated</dt>
      <dd>{when(a.lastEvaluatedAt)}</dd>
      <dt>Silenced</dt>
      <dd>{a.silencedUntil ? `until ${when(a.silencedUntil)}` : 'no'}</dd>
    </dl>
  );
}
