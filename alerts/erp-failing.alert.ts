import type { AlertRuleDefinition } from '../engine/ops/alerts/alert-api-types.ts';

/** The demo ERP refusing or unreachable for five minutes: every delivery to it waits. */
export default {
  id: 'erp-failing',
  description: 'The ERP destination of the EHR channel has had deliveries retrying for 5 minutes',
  kind: 'destination-failing',
  channelId: 'ehr-mllp',
  destinationId: 'erp',
  severity: 'critical',
  forMs: 300_000,
  repeatIntervalMs: 3_600_000,
} satisfies AlertRuleDefinition;
