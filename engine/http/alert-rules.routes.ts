import type { FastifyInstance, FastifyPluginAsync, FastifyReply } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { SwitchboardError } from '../errors.ts';
import type { AlertRuleProblem } from '../ops/alerts/alert-api-types.ts';
import type { AlertInstanceStore } from '../ops/alerts/alert-instance-store.ts';
import { deploymentJson, ruleJson, versionJson } from '../ops/alerts/alert-json.ts';
import { ALERT_RULE_ID_PATTERN } from '../ops/alerts/alert-rule-schema.ts';
import type { AlertRuleService } from '../ops/alerts/alert-rule-service.ts';
import { actorOf } from './access.ts';
import { sendProblem } from './problem.ts';

const IdParams = Type.Object({ id: Type.String({ pattern: ALERT_RULE_ID_PATTERN }) });
const VersionQuery = Type.Object({ version: Type.Optional(Type.Integer({ minimum: 1 })) });
const DiffQuery = Type.Object({ from: Type.Integer({ minimum: 1 }), to: Type.Integer({ minimum: 1 }) });
const SaveQuery = Type.Object({ comment: Type.Optional(Type.String({ maxLength: 500 })) });
const DeployBody = Type.Union([Type.Object({ version: Type.Optional(Type.Integer({ minimum: 1 })) }), Type.Null()]);
type Id = { Params: Static<typeof IdParams> };

const read = { access: 'alerts:read' } as const;
const write = { access: 'alerts:write' } as const;

type Deps = { rules: AlertRuleService; instances: AlertInstanceStore };

/** 400 `alert-rule-invalid` with each problem and its path. */
const invalid = (reply: FastifyReply, problems: AlertRuleProblem[]) =>
  reply
    .code(400)
    .type('application/problem+json')
    .send({
      type: 'https://switchboard.dev/problems/alert-rule-invalid',
      title: 'Alert rule is not valid',
      status: 400,
      code: 'CONFIG_INVALID',
      detail: problems.map((p) => `${p.path}: ${p.message}`).join('; '),
      problems,
    });

/** Open alerts per rule id. */
async function openCounts(instances: AlertInstanceStore): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const a of await instances.open()) counts.set(a.ruleId, (counts.get(a.ruleId) ?? 0) + 1);
  return counts;
}

/**
 * Alert rules as versioned data (`alerts:read` to look, `alerts:write` to change; the shapes are in
 * engine/ops/alerts/alert-api-types.ts): list, get (`?version=`), versions, diff, validate, save
 * (201 new version, 200 unchanged, 400 `alert-rule-invalid`), deploy / enable / disable (404 unknown
 * rule or version, 409 enabling a rule never deployed), export and import (a bundle; nothing saved
 * when one rule is invalid). Every change is audited by AlertRuleService.
 */
export const alertRuleRoutes: FastifyPluginAsync<Deps> = async (app, deps) => {
  ruleReadRoutes(app, deps);
  ruleWriteRoutes(app, deps);
  ruleStateRoutes(app, deps);
};

function ruleReadRoutes(app: FastifyInstance, { rules, instances }: Deps): void {
  app.get(
    '/api/alert-rules',
    { config: read, schema: { summary: 'Alert rules: the latest version of each, its deployment and open alerts' } },
    async () => {
      const [list, open] = await Promise.all([rules.list(), openCounts(instances)]);
      return { items: list.map((r) => ruleJson(r.version, r.deployment, open.get(r.version.id) ?? 0)) };
    },
  );

  app.get(
    '/api/alert-rules/export',
    { config: read, schema: { summary: 'Every alert rule’s latest version as a bundle to import elsewhere' } },
    async () => rules.exportAll(),
  );

  app.get<Id & { Querystring: Static<typeof VersionQuery> }>(
    '/api/alert-rules/:id',
    {
      config: read,
      schema: { summary: 'An alert rule: its latest version (or `?version=`) and deployment', params: IdParams, querystring: VersionQuery },
    },
    async (request, reply) => {
      const { id } = request.params;
      const found = await rules.get(id, request.query.version);
      if (!found)
        return sendProblem(
          reply,
          new SwitchboardError('NOT_FOUND'),
          `no alert rule ${id}${request.query.version ? ` version ${request.query.version}` : ''}`,
        );
      return ruleJson(found.version, found.deployment, (await openCounts(instances)).get(id) ?? 0);
    },
  );

  app.get<Id>(
    '/api/alert-rules/:id/versions',
    { config: read, schema: { summary: 'Every version of an alert rule, newest first', params: IdParams } },
    async (request) => ({ items: (await rules.history(request.params.id)).map(versionJson) }),
  );

  app.get<Id & { Querystring: Static<typeof DiffQuery> }>(
    '/api/alert-rules/:id/diff',
    {
      config: read,
      schema: { summary: 'What changed between two versions of an alert rule, by setting', params: IdParams, querystring: DiffQuery },
    },
    async (request) => {
      const { from, to } = request.query;
      return { id: request.params.id, from, to, changes: await rules.diff(request.params.id, from, to) };
    },
  );
}

function ruleWriteRoutes(app: FastifyInstance, { rules }: Deps): void {
  app.post(
    '/api/alert-rules/validate',
    { config: write, schema: { summary: 'Check an alert rule without saving it' } },
    async (request) => {
      const problems = rules.validate(request.body);
      return { valid: problems.length === 0, problems };
    },
  );

  app.post<{ Querystring: Static<typeof SaveQuery> }>(
    '/api/alert-rules',
    {
      config: write,
      schema: {
        summary: 'Save an alert rule as its next version (not deployed)',
        description: '201 a new version, 200 when it equals the latest, 400 `alert-rule-invalid` with each problem and its path. Audited.',
        querystring: SaveQuery,
      },
    },
    async (request, reply) => {
      const { comment } = request.query;
      const saved = await rules.save({ rule: request.body, actor: actorOf(request), origin: 'console', ...(comment ? { comment } : {}) });
      if (!saved.ok) return invalid(reply, saved.problems);
      return reply.code(saved.created ? 201 : 200).send(versionJson(saved.version));
    },
  );

  app.post(
    '/api/alert-rules/import',
    {
      config: write,
      schema: {
        summary: 'Import a bundle of alert rules (as exported): each its next version, not deployed',
        description: '200 with the versions; 400 `alert-rule-invalid` naming `/rules/<index>/…` and nothing saved when one is invalid.',
      },
    },
    async (request, reply) => {
      const imported = await rules.importAll({ bundle: request.body, actor: actorOf(request) });
      if (!imported.ok) return invalid(reply, imported.problems);
      return { items: imported.saved.map(({ version: v, created }) => ({ id: v.id, version: v.version, created })) };
    },
  );
}

function ruleStateRoutes(app: FastifyInstance, { rules }: Deps): void {
  app.post<Id & { Body: Static<typeof DeployBody> }>(
    '/api/alert-rules/:id/deploy',
    {
      config: write,
      schema: {
        summary: 'Deploy a version of an alert rule (default the latest): evaluated from the next pass',
        params: IdParams,
        body: DeployBody,
      },
    },
    async (request) => {
      const version = request.body?.version;
      const s = await rules.setState({ id: request.params.id, to: 'deploy', actor: actorOf(request), ...(version ? { version } : {}) });
      return deploymentJson(s._id, s);
    },
  );
  for (const to of ['enable', 'disable'] as const) {
    app.post<Id>(
      `/api/alert-rules/:id/${to}`,
      {
        config: write,
        schema: { summary: `${to === 'enable' ? 'Evaluate' : 'Stop evaluating'} an alert rule’s deployed version`, params: IdParams },
      },
      async (request) => {
        const s = await rules.setState({ id: request.params.id, to, actor: actorOf(request) });
        return deploymentJson(s._id, s);
      },
    );
  }
}
