import { AlertInstanceStore, MAX_HISTORY } from '../ops/alerts/alert-instance-store.ts';
import { silenceJson } from '../ops/alerts/alert-json.ts';
import { alertHistoryViews, openAlertViews } from '../ops/alerts/alert-listing.ts';
import type { AlertInstanceJson, AlertSilenceJson, AlertSubject } from '../ops/alerts/alert-api-types.ts';
import { ALERT_RULE_ID_PATTERN } from '../ops/alerts/alert-rule-schema.ts';
import { AlertRuleService } from '../ops/alerts/alert-rule-service.ts';
import { AlertRuleStore } from '../ops/alerts/alert-rule-store.ts';
import { addSilence, endSilence } from '../ops/alerts/alert-silences.ts';
import { DAY_MS, MINUTE_MS } from '../durations.ts';
import {
  cliPrincipal,
  COMMON_OPTIONS,
  parseCommandLine,
  runCommand,
  UsageError,
  withContext,
  type CliContext,
  type Io,
} from './cli-context.ts';
import { table } from './cli-output.ts';

const USAGE = `usage:
  switchboard alerts list [--json]
      the alerts pending or firing now, newest first (as GET /api/alerts)
  switchboard alerts history [--rule ID] [--limit N] [--json]
      alerts newest first, resolved ones included (as GET /api/alerts/history); --limit default 50
  switchboard alerts silence RULE --until WHEN --reason "why" [--alert ID] [--actor NAME] [--json]
      silences a rule, or one alert of it, until WHEN: a time (ISO 8601, e.g. 2026-12-08T06:00:00Z) or a
      duration from now (30m, 8h, 2d; at most 90 days). Audited, as in the console
  switchboard alerts silences [--active] [--json]
      silences newest first; --active: those holding now
  switchboard alerts unsilence SILENCE_ID [--actor NAME]
      ends a silence now (audited)
  Uses MONGODB_URL, MONGODB_DB. Exit 0 done, 1 a failure (no such rule, alert or silence), 2 usage.`;

const OPTIONS = {
  ...COMMON_OPTIONS,
  rule: { type: 'string' },
  limit: { type: 'string', default: '50' },
  until: { type: 'string' },
  reason: { type: 'string' },
  alert: { type: 'string' },
  active: { type: 'boolean', default: false },
} as const;

type Values = ReturnType<typeof parseCommandLine<typeof OPTIONS>>['values'];

const UNIT_MS = { m: MINUTE_MS, h: 60 * MINUTE_MS, d: DAY_MS } as const;

/**
 * When a silence given on the command line ends: `30m`, `8h`, `2d` from `now`, or a time in ISO
 * 8601 with its zone (`Z` or an offset: a time without one would depend on the machine's zone).
 * UsageError for anything else; how far ahead it may be is addSilence's check.
 */
export function parseUntil(text: string, now: Date): Date {
  const span = /^([1-9][0-9]{0,4})([mhd])$/.exec(text);
  if (span) return new Date(now.getTime() + Number(span[1]) * UNIT_MS[span[2] as keyof typeof UNIT_MS]);
  const time = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  // A day the calendar does not have (February 30) is refused, not rolled into the next month.
  const day = time && new Date(Date.UTC(Number(time[1]), Number(time[2]) - 1, Number(time[3])));
  if (time && day && day.getUTCMonth() === Number(time[2]) - 1 && !Number.isNaN(Date.parse(text))) return new Date(text);
  throw new UsageError('--until takes a duration (30m, 8h, 2d) or an ISO 8601 time with its zone (2026-12-08T06:00:00Z)');
}

const subjectText = (s: AlertSubject) =>
  Object.entries(s)
    .map(([k, v]) => `${k.replace(/Id$/, '')}:${String(v)}`)
    .join(' ') || '-';

function printAlerts(items: readonly AlertInstanceJson[], io: Io): void {
  const rows = items.map((a) => [
    a.id,
    a.ruleId,
    a.state,
    a.severity,
    subjectText(a.subject),
    a.firedAt ?? a.startedAt,
    a.silencedUntil ? `until ${a.silencedUntil}` : '-',
    a.summary,
  ]);
  for (const line of table(['ALERT', 'RULE', 'STATE', 'SEVERITY', 'SUBJECT', 'SINCE', 'SILENCED', 'SUMMARY'], rows)) io.out(line);
}

function printSilences(items: readonly AlertSilenceJson[], io: Io): void {
  const rows = items.map((s) => [s.id, s.ruleId, s.alertId ?? '-', s.until, s.active ? 'yes' : 'no', s.createdBy, s.reason]);
  for (const line of table(['SILENCE', 'RULE', 'ALERT', 'UNTIL', 'ACTIVE', 'BY', 'REASON'], rows)) io.out(line);
}

/** The alerts' services on the command line's store, as open-alerts.ts makes them for the API. */
function services(ctx: CliContext) {
  const instances = new AlertInstanceStore(ctx.store);
  return { instances, rules: new AlertRuleService({ rules: new AlertRuleStore(ctx.store), audit: ctx.audit }), audit: ctx.audit };
}

/**
 * `switchboard alerts list|history|silence|silences|unsilence`: what the console's alert pages show
 * and do, for support on a terminal at night, through the same services (alert-silences.ts) and
 * audit, as `cli:<actor>`. Alerts and silences hold ids, counts and times only, never patient data.
 */
export function runAlertsCommand(args: readonly string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return runCommand('alerts', USAGE, io, async () => {
    const { values, positionals } = parseCommandLine(args, OPTIONS);
    const [sub, id, ...more] = positionals;
    const needsId = sub === 'silence' || sub === 'unsilence';
    if (!sub || !['list', 'history', 'silence', 'silences', 'unsilence'].includes(sub) || more.length > 0 || (!needsId && id))
      throw new UsageError(sub ? `unknown: ${positionals.join(' ')}` : 'name a subcommand');
    if (needsId && !id) throw new UsageError(sub === 'silence' ? 'silence needs the RULE to silence' : 'unsilence needs the SILENCE_ID');
    const limit = Number(values.limit);
    if (!/^[1-9][0-9]{0,2}$/.test(values.limit) || limit > MAX_HISTORY)
      throw new UsageError(`--limit takes a whole number from 1 to ${MAX_HISTORY}`);
    if (values.rule && !new RegExp(ALERT_RULE_ID_PATTERN).test(values.rule)) throw new UsageError('--rule takes an alert rule id');
    const emit = <T>(json: T, print: (v: T) => void) => (values.json ? io.out(JSON.stringify(json)) : print(json));
    if (sub === 'list' || sub === 'history') {
      const items = await withContext(env, (ctx) => {
        const { instances } = services(ctx);
        return sub === 'list' ? openAlertViews(instances) : alertHistoryViews(instances, { ruleId: values.rule, limit });
      });
      emit({ items }, (v) => printAlerts(v.items, io));
    } else if (sub === 'silences') {
      const now = new Date();
      const all = await withContext(env, async (ctx) => (await services(ctx).instances.allSilences()).map((s) => silenceJson(s, now)));
      emit({ items: values.active ? all.filter((s) => s.active) : all }, (v) => printSilences(v.items, io));
    } else {
      const by = { username: cliPrincipal(values.actor).username };
      const now = new Date();
      const input = sub === 'silence' ? silenceInput(id!, values, now) : undefined;
      const silence = await withContext(env, (ctx) =>
        input ? addSilence(services(ctx), input, by, now) : endSilence(services(ctx), id!, by),
      );
      emit(silenceJson(silence, now), (v) => printSilences([v], io));
    }
    return 0;
  });
}

function silenceInput(ruleId: string, values: Values, now: Date) {
  if (!values.until) throw new UsageError('silence needs --until');
  if (!values.reason?.trim()) throw new UsageError('silence needs --reason "why" (it is audited)');
  return { ruleId, until: parseUntil(values.until, now), reason: values.reason, ...(values.alert ? { alertId: values.alert } : {}) };
}
