import type { AlertRuleDefinition } from '../engine/ops/alerts/alert-api-types.ts';

/** A replay that could not replay some of its deliveries (fires for a day). */
export default { id: 'replay-failed', kind: 'replay-failed' } satisfies AlertRuleDefinition;
