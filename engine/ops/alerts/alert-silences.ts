import { AuditAction, type AuditLog } from '../../audit/audit-log.ts';
import { DAY_MS } from '../../durations.ts';
import { SwitchboardError } from '../../errors.ts';
import { newMessageId } from '../../ids.ts';
import type { AlertInstanceStore } from './alert-instance-store.ts';
import type { SilenceRecord } from './alert-records.ts';
import { ALERT_RULE_ID_PATTERN } from './alert-rule-schema.ts';
import type { AlertRuleService } from './alert-rule-service.ts';

const RULE_ID = new RegExp(ALERT_RULE_ID_PATTERN);

/** A silence lasts at most 90 days: longer, and a rule nobody looks at should be disabled instead. */
export const MAX_SILENCE_MS = 90 * DAY_MS;
/** The longest reason a silence keeps (it is audited). */
export const MAX_SILENCE_REASON = 500;

export interface SilenceDeps {
  rules: Pick<AlertRuleService, 'get'>;
  instances: AlertInstanceStore;
  audit: AuditLog;
}

/** Who acts: a console user (with the request's address) or `cli:<actor>`. */
export interface SilenceActor {
  username: string;
  sourceIp?: string | undefined;
}

export interface SilenceInput {
  ruleId: string;
  /** One alert of the rule; absent: every alert of it. */
  alertId?: string | undefined;
  until: Date;
  reason: string;
}

/**
 * Silences a rule, or one alert of it, until a time: checked, stored and audited (`config.change`
 * on `alert-silence:<id>`). Called by `POST /api/alert-silences` and `switchboard alerts silence`,
 * so both make the same checks. BAD_REQUEST when `until` is not in the future or more than 90 days
 * ahead, or the reason is blank or longer than 500 characters; NOT_FOUND when the rule, or the
 * alert of that rule, does not exist (an id of the wrong shape names none). A silenced alert sends nothing; its notifications are
 * recorded as suppressed.
 */
export async function addSilence(deps: SilenceDeps, input: SilenceInput, by: SilenceActor, now = new Date()): Promise<SilenceRecord> {
  const { ruleId, alertId, until, reason } = input;
  if (!(until.getTime() > now.getTime() && until.getTime() - now.getTime() <= MAX_SILENCE_MS))
    throw new SwitchboardError('BAD_REQUEST', '`until` is in the future, at most 90 days ahead');
  if (!reason.trim() || reason.length > MAX_SILENCE_REASON)
    throw new SwitchboardError('BAD_REQUEST', `a silence needs a reason of 1 to ${MAX_SILENCE_REASON} characters`);
  if (!RULE_ID.test(ruleId) || !(await deps.rules.get(ruleId))) throw new SwitchboardError('NOT_FOUND', `no alert rule ${ruleId}`);
  if (alertId !== undefined && (alertId.length > 64 || (await deps.instances.get(alertId))?.ruleId !== ruleId))
    throw new SwitchboardError('NOT_FOUND', `no alert ${alertId} of rule ${ruleId}`);
  const silence: SilenceRecord = {
    _id: newMessageId(),
    ruleId,
    ...(alertId ? { alertId } : {}),
    until,
    reason,
    createdBy: by.username,
    createdAt: now,
  };
  await deps.instances.addSilence(silence);
  await deps.audit.append({
    actor: by.username,
    action: AuditAction.configChange,
    outcome: 'success',
    target: `alert-silence:${silence._id}`,
    details: { silence: 'add', ruleId, alertId: alertId ?? null, until: until.toISOString(), reason },
    ...(by.sourceIp ? { sourceIp: by.sourceIp } : {}),
  });
  return silence;
}

/**
 * Ends a silence now, audited. Called by `DELETE /api/alert-silences/:id` and `switchboard alerts
 * unsilence`. NOT_FOUND for no such silence; CONFLICT when it has already ended (early, by someone).
 */
export async function endSilence(deps: Omit<SilenceDeps, 'rules'>, id: string, by: SilenceActor): Promise<SilenceRecord> {
  const silence = await deps.instances.getSilence(id);
  if (!silence) throw new SwitchboardError('NOT_FOUND', 'no such silence');
  if (!(await deps.instances.endSilence(silence._id, by.username))) throw new SwitchboardError('CONFLICT', 'the silence has ended');
  await deps.audit.append({
    actor: by.username,
    action: AuditAction.configChange,
    outcome: 'success',
    target: `alert-silence:${silence._id}`,
    details: { silence: 'end', ruleId: silence.ruleId },
    ...(by.sourceIp ? { sourceIp: by.sourceIp } : {}),
  });
  return (await deps.instances.getSilence(silence._id)) ?? silence;
}
