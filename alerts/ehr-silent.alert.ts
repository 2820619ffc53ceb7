import type { AlertRuleDefinition } from '../engine/ops/alerts/alert-api-types.ts';

/** A silent EHR is the worst failure: nothing received for 30 minutes on a weekday's working hours. */
export default {
  id: 'ehr-silent',
  description: 'No message from the EHR for 30 minutes, weekdays 07:00–19:00 (set the time zone of the hospital)',
  kind: 'inactivity',
  channelId: 'ehr-mllp',
  silentForMs: 1_800_000,
  activeHours: { days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '07:00', to: '19:00', timeZone: 'UTC' },
  severity: 'critical',
} satisfies AlertRuleDefinition;
