import type { AlertRuleDefinition } from '../engine/ops/alerts/alert-api-types.ts';

/** A TLS certificate (MLLP listener, HTTPS, a destination's client certificate) expiring within 21 days; repeated daily. */
export default {
  id: 'certificates',
  kind: 'certificate-expiry',
  withinDays: 21,
  repeatIntervalMs: 86_400_000,
} satisfies AlertRuleDefinition;
