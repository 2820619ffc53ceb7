import type { AlertRuleKind } from '../alert-types.ts';

/** Each kind's parameters as the editor explains them (alert-api-types.ts has the whole contract). */
const HELP: Record<AlertRuleKind, string> = {
  'queue-depth': 'above: jobs waiting in a destination’s queue; channelId/destinationId: one destination (omitted: each).',
  'oldest-waiting': 'olderThanMs: the age of the oldest waiting job; channelId/destinationId: one destination (omitted: each).',
  'error-rate':
    'abovePercent of the messages received over windowMs (whole minutes) errored or dead; count: which outcomes; ' +
    'minMessages: fewer never fire; channelId: one channel (omitted: all together).',
  inactivity:
    'channelId received nothing for silentForMs, counted only within activeHours (days, from, to as HH:MM, an IANA ' +
    'timeZone), when given.',
  'destination-failing':
    'a destination has had deliveries retrying, none delivered, for forMs; channelId/destinationId: one (omitted: each).',
  'flow-step-dead': 'a flow has a dead step; flowId: one flow (omitted: each).',
  'certificate-expiry': 'a TLS certificate expires within withinDays; roles: mllp-source, https-server, destination-client (omitted: all).',
  'replay-failed': 'a replay finished with failed deliveries; withinMs: how long it keeps firing.',
};

/**
 * What the settings of a kind of rule mean, under the editor, and those every rule has: id,
 * description, severity, forMs, repeatIntervalMs, notify.
 */
export function RuleKindHelp({ kind }: { kind: AlertRuleKind | undefined }) {
  return (
    <div class="hint rule-kind-help">
      {kind && HELP[kind] && (
        <p>
          <strong>{kind}</strong>: {HELP[kind]}
        </p>
      )}
      <p>
        Every rule: <code>id</code> (lower-case letters, digits, dashes), <code>description</code>, <code>severity</code> (info, warning,
        critical), <code>forMs</code> (how long the condition holds before it fires), <code>repeatIntervalMs</code> (notify again while
        firing; 0 never), <code>notify</code> (webhook, email). Durations are milliseconds.
      </p>
    </div>
  );
}
