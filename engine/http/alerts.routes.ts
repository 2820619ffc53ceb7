import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { AuditLog } from '../audit/audit-log.ts';
import { SwitchboardError } from '../errors.ts';
import { AlertState } from '../ops/alerts/alert-api-types.ts';
import { MAX_HISTORY, type AlertInstanceStore } from '../ops/alerts/alert-instance-store.ts';
import { instanceJson, silenceJson } from '../ops/alerts/alert-json.ts';
import { alertHistoryViews, openAlertViews } from '../ops/alerts/alert-listing.ts';
import { addSilence, endSilence, MAX_SILENCE_REASON } from '../ops/alerts/alert-silences.ts';
import type { AlertInstanceRecord } from '../ops/alerts/alert-records.ts';
import { ALERT_RULE_ID_PATTERN } from '../ops/alerts/alert-rule-schema.ts';
import type { AlertRuleService } from '../ops/alerts/alert-rule-service.ts';
import { inScope } from '../security/roles.ts';
import { actorOf, principalOf } from './access.ts';
import { sendProblem } from './problem.ts';

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const OpenQuery = Type.Object({ state: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('firing')])) });
const HistoryQuery = Type.Object({
  ruleId: Type.Optional(Type.String({ pattern: ALERT_RULE_ID_PATTERN })),
  state: Type.Optional(Type.Union(Object.values(AlertState).map((s) => Type.Literal(s)))),
  limit: Type.Integer({ minimum: 1, maximum: MAX_HISTORY, default: 100 }),
});
const SilenceQuery = Type.Object({ active: Type.Optional(Type.Boolean()) });
const SilenceBody = Type.Object(
  {
    ruleId: Type.String({ pattern: ALERT_RULE_ID_PATTERN }),
    alertId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    until: Type.String({ format: 'date-time' }),
    reason: Type.String({ minLength: 1, maxLength: MAX_SILENCE_REASON }),
  },
  { additionalProperties: false },
);

const read = { access: 'alerts:read' } as const;
const write = { access: 'alerts:write' } as const;

type Deps = { rules: AlertRuleService; instances: AlertInstanceStore; audit: AuditLog };

/** Whether the caller's channel scope covers the alert (an alert about no channel is everyone's). */
const visible = (request: FastifyRequest, a: AlertInstanceRecord) =>
  !a.subject.channelId || inScope(principalOf(request), a.subject.channelId);

/**
 * The alerts for the console (`alerts:read`) and silences (`alerts:write` to add or end one):
 * - `GET /api/alerts` (pending and firing, with notifications), `/api/alerts/history`, `/api/alerts/:id`:
 *   a user scoped to channels sees the alerts of those channels and those about no channel;
 * - `GET /api/alert-silences`, `POST /api/alert-silences` (a rule, or one alert of it, until a time
 *   at most 90 days ahead, with a reason), `DELETE /api/alert-silences/:id` (ends it now). Each
 *   change audited as `config.change` on `alert-silence:<id>`.
 */
export const alertRoutes: FastifyPluginAsync<Deps> = async (app, deps) => {
  alertReadRoutes(app, deps);
  silenceRoutes(app, deps);
};

function alertReadRoutes(app: FastifyInstance, { instances }: Deps): void {
  app.get<{ Querystring: Static<typeof OpenQuery> }>(
    '/api/alerts',
    { config: read, schema: { summary: 'Alerts pending or firing now, newest first, with their notifications', querystring: OpenQuery } },
    async (request) => {
      const { state } = request.query;
      return { items: await openAlertViews(instances, (a) => (!state || a.state === state) && visible(request, a)) };
    },
  );

  app.get<{ Querystring: Static<typeof HistoryQuery> }>(
    '/api/alerts/history',
    {
      config: read,
      schema: { summary: 'Alert instances, newest first, resolved ones included (without notifications)', querystring: HistoryQuery },
    },
    async (request) => ({ items: await alertHistoryViews(instances, request.query, (a) => visible(request, a)) }),
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/api/alerts/:id',
    { config: read, schema: { summary: 'One alert: its states over time and each notification', params: IdParams } },
    async (request, reply) => {
      const alert = await instances.get(request.params.id);
      if (!alert || !visible(request, alert)) return sendProblem(reply, new SwitchboardError('NOT_FOUND'), 'no such alert');
      const [silences, notifications] = await Promise.all([instances.allSilences(), instances.notificationsOf(alert._id)]);
      return instanceJson(alert, { silences, notifications, now: new Date() });
    },
  );
}

function silenceRoutes(app: FastifyInstance, deps: Deps): void {
  const { instances } = deps;
  app.get<{ Querystring: Static<typeof SilenceQuery> }>(
    '/api/alert-silences',
    { config: read, schema: { summary: 'Silences, newest first (`?active=true`: those holding now)', querystring: SilenceQuery } },
    async (request) => {
      const now = new Date();
      const all = (await instances.allSilences()).map((s) => silenceJson(s, now));
      return { items: request.query.active ? all.filter((s) => s.active) : all };
    },
  );

  app.post<{ Body: Static<typeof SilenceBody> }>(
    '/api/alert-silences',
    {
      config: write,
      schema: { summary: 'Silence an alert rule, or one of its alerts, until a time, with a reason (audited)', body: SilenceBody },
    },
    (request, reply) => postSilence(request, reply, deps),
  );

  app.delete<{ Params: Static<typeof IdParams> }>(
    '/api/alert-silences/:id',
    { config: write, schema: { summary: 'End a silence now (audited)', params: IdParams } },
    async (request) => {
      const ended = await endSilence(deps, request.params.id, actorOf(request));
      return silenceJson(ended, new Date());
    },
  );
}

/** `POST /api/alert-silences`: checked, stored and audited by addSilence; 201 with the silence. */
async function postSilence(request: FastifyRequest<{ Body: Static<typeof SilenceBody> }>, reply: FastifyReply, deps: Deps) {
  const now = new Date();
  const { ruleId, alertId, reason } = request.body;
  const silence = await addSilence(deps, { ruleId, alertId, reason, until: new Date(request.body.until) }, actorOf(request), now);
  return reply.code(201).send(silenceJson(silence, now));
}
