import type { AlertRuleDefinition } from '../engine/ops/alerts/alert-api-types.ts';

/** A destination's queue above 1,000 jobs for 10 minutes: it does not keep up. */
export default { id: 'queue-backlog', kind: 'queue-depth', above: 1000, forMs: 600_000 } satisfies AlertRuleDefinition;
