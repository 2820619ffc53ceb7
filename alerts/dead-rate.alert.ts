import type { AlertRuleDefinition } from '../engine/ops/alerts/alert-api-types.ts';

/** More than 5% of the messages of the last 15 minutes errored or dead, across all channels (at least 20 messages). */
export default {
  id: 'dead-rate',
  kind: 'error-rate',
  abovePercent: 5,
  windowMs: 900_000,
  minMessages: 20,
  forMs: 300_000,
} satisfies AlertRuleDefinition;
