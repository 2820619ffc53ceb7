import { Type, type TObject, type TProperties } from '@sinclair/typebox';
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value';
import {
  AlertRuleKind,
  CertificateRole,
  NotificationChannel,
  Weekday,
  type AlertRuleDefinition,
  type AlertRuleProblem,
} from './alert-api-types.ts';
import { DAY_MS } from '../../durations.ts';

/** Rule ids: as channel ids, lower-case letters, digits and dashes. */
export const ALERT_RULE_ID_PATTERN = '^[a-z0-9][a-z0-9-]{0,62}$';
const ID = Type.String({ pattern: ALERT_RULE_ID_PATTERN, description: 'lower-case letters, digits and dashes' });
const HHMM = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', description: 'a time as HH:MM (24 h)' });
/** A duration in milliseconds: at least 0, at most a year. */
const ms = (description: string, minimum = 0) => Type.Integer({ minimum, maximum: 365 * DAY_MS, description });
const literals = <T extends Record<string, string>>(o: T) => Type.Union(Object.values(o).map((v) => Type.Literal(v)));

/** What every rule has (see AlertRuleCommon). */
const Common = {
  id: ID,
  description: Type.Optional(Type.String({ maxLength: 500 })),
  severity: Type.Optional(Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('critical')])),
  forMs: Type.Optional(ms('how long the condition holds before the alert fires')),
  repeatIntervalMs: Type.Optional(ms('while firing, notify again this often (0: never)')),
  notify: Type.Optional(Type.Array(literals(NotificationChannel), { uniqueItems: true, maxItems: 3 })),
} satisfies TProperties;

const destination = { channelId: Type.Optional(ID), destinationId: Type.Optional(ID) };
const kindOf = <K extends string, P extends TProperties>(kind: K, params: P) =>
  Type.Object({ ...Common, kind: Type.Literal(kind), ...params }, { additionalProperties: false });

/** The schema of each kind of rule: its common settings and its own parameters, nothing else. */
export const AlertRuleSchemas = {
  'queue-depth': kindOf('queue-depth', { ...destination, above: Type.Integer({ minimum: 0, description: 'jobs' }) }),
  'oldest-waiting': kindOf('oldest-waiting', { ...destination, olderThanMs: ms('age of the oldest waiting job', 1) }),
  'error-rate': kindOf('error-rate', {
    channelId: Type.Optional(ID),
    count: Type.Optional(Type.Array(Type.Union([Type.Literal('errored'), Type.Literal('dead')]), { minItems: 1, uniqueItems: true })),
    abovePercent: Type.Number({ minimum: 0, maximum: 100 }),
    windowMs: Type.Integer({ minimum: 60_000, maximum: 7_200_000, description: 'the last whole minutes counted (up to 2 hours)' }),
    minMessages: Type.Optional(Type.Integer({ minimum: 1 })),
  }),
  inactivity: kindOf('inactivity', {
    channelId: ID,
    silentForMs: ms('how long without a message', 1000),
    activeHours: Type.Optional(
      Type.Object(
        {
          days: Type.Array(literals(Weekday), { minItems: 1, uniqueItems: true }),
          from: HHMM,
          to: HHMM,
          timeZone: Type.String({ minLength: 1, description: 'an IANA time zone, e.g. Europe/Paris' }),
        },
        { additionalProperties: false },
      ),
    ),
  }),
  'destination-failing': kindOf('destination-failing', destination),
  'flow-step-dead': kindOf('flow-step-dead', { flowId: Type.Optional(ID) }),
  'certificate-expiry': kindOf('certificate-expiry', {
    withinDays: Type.Number({ minimum: 0, maximum: 3650 }),
    roles: Type.Optional(Type.Array(literals(CertificateRole), { minItems: 1, uniqueItems: true })),
  }),
  'replay-failed': kindOf('replay-failed', { withinMs: Type.Optional(ms('how long a failed replay keeps its alert firing', 1000)) }),
} as const satisfies Record<AlertRuleKind, TObject>;

const MAX_PROBLEMS = 20;

function shapeMessage(e: ValueError): string {
  if (e.type === ValueErrorType.StringPattern && e.schema.description) return `${JSON.stringify(e.value)} is not ${e.schema.description}`;
  if (e.type === ValueErrorType.ObjectAdditionalProperties) return 'is not a setting of this kind of rule';
  return e.message;
}

/** The first problem of each path (TypeBox says of a missing number both that it is required and not a number), at most MAX_PROBLEMS. */
const firstPerPath = (problems: AlertRuleProblem[]) =>
  problems.filter((p, i) => problems.findIndex((q) => q.path === p.path) === i).slice(0, MAX_PROBLEMS);

/** Whether `zone` is an IANA time zone this Node knows. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * The problems of a rule definition (none when it is valid): an object with a known `kind`, then
 * that kind's schema (AlertRuleSchemas: unknown settings are refused), then what a schema cannot
 * say: the time zone of `activeHours`, and `from` differing from `to`. At most 20 problems, each a
 * JSON pointer and a message. Called by the API (validate, save, import) and at start for alerts/.
 */
export function validateAlertRule(value: unknown): AlertRuleProblem[] {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return [{ path: '/', message: 'a rule is a JSON object' }];
  const kind = (value as { kind?: unknown }).kind;
  if (typeof kind !== 'string' || !Object.hasOwn(AlertRuleSchemas, kind))
    return [{ path: '/kind', message: `must be one of ${Object.values(AlertRuleKind).join(', ')}` }];
  const schema = AlertRuleSchemas[kind as AlertRuleKind];
  const shape = firstPerPath([...Value.Errors(schema, value)].map((e) => ({ path: e.path || '/', message: shapeMessage(e) })));
  if (shape.length > 0) return shape;
  const rule = value as AlertRuleDefinition;
  if (rule.kind === 'inactivity' && rule.activeHours) {
    const problems: AlertRuleProblem[] = [];
    if (!isTimeZone(rule.activeHours.timeZone))
      problems.push({ path: '/activeHours/timeZone', message: `${JSON.stringify(rule.activeHours.timeZone)} is not an IANA time zone` });
    if (rule.activeHours.from === rule.activeHours.to) problems.push({ path: '/activeHours/to', message: 'must differ from `from`' });
    return problems;
  }
  return [];
}

/** The rule's settings with their defaults: severity warning, no wait, no repeat, webhook and e-mail. */
export function withDefaults(
  rule: AlertRuleDefinition,
): Required<Pick<AlertRuleDefinition, 'severity' | 'forMs' | 'repeatIntervalMs' | 'notify'>> {
  return {
    severity: rule.severity ?? 'warning',
    forMs: rule.forMs ?? 0,
    repeatIntervalMs: rule.repeatIntervalMs ?? 0,
    notify: rule.notify ?? [NotificationChannel.webhook, NotificationChannel.email],
  };
}
