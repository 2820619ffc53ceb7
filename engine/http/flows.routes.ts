import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { SwitchboardError } from '../errors.ts';
import type { FlowCatalog } from '../flows/flow-catalog.ts';
import type { FlowOperations } from '../flows/flow-operations.ts';
import { FlowStatus } from '../flows/flow-states.ts';
import { flowView, instanceDetail, instanceSummary, maskLeaves } from '../flows/flow-views.ts';
import type { RetryPreview } from '../flows/flow-view.ts';
import { hasPermission, inScope, Permission } from '../security/roles.ts';
import type { FlowInstance, FlowPage } from '../store/flows.store.ts';
import type { Store } from '../store/store.ts';
import { actorOf, principalOf } from './access.ts';

const read = { access: Permission.flowsRead } as const;
const operate = { access: Permission.flowsOperate } as const;

/** A page's end in the instance list, as the API gives and takes it: `<createdAt ISO 8601>|<instance id>`. */
const PAGE_PATTERN = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z\\|.+$';
const pageOf = (text: string): FlowPage => {
  const bar = text.indexOf('|');
  const createdAt = new Date(text.slice(0, bar));
  if (Number.isNaN(createdAt.getTime())) throw new SwitchboardError('BAD_REQUEST', '`before` is not a time and an instance id');
  return { createdAt, id: text.slice(bar + 1) };
};
const pageText = (i: FlowInstance) => `${i.createdAt.toISOString()}|${i._id}`;

const InstanceQuery = Type.Object({
  flow: Type.Optional(Type.String({ maxLength: 64 })),
  status: Type.Optional(Type.Union(Object.values(FlowStatus).map((s) => Type.Literal(s)))),
  from: Type.Optional(Type.String({ format: 'date-time' })),
  to: Type.Optional(Type.String({ format: 'date-time' })),
  key: Type.Optional(
    Type.String({ minLength: 1, maxLength: 200, description: 'A business key of the event, exactly (a visit number, an item code)' }),
  ),
  before: Type.Optional(
    Type.String({
      pattern: PAGE_PATTERN,
      maxLength: 300,
      description: 'The `nextBefore` of the page before: the instances older than its last one',
    }),
  ),
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
});
const InstanceParams = Type.Object({ id: Type.String({ maxLength: 200 }) });
const FlowParams = Type.Object({ flowId: Type.String({ maxLength: 64 }) });
const StepParams = Type.Object({ id: Type.String({ maxLength: 200 }), stepId: Type.String({ maxLength: 64 }) });
const RetryBody = Type.Object({ dryRun: Type.Boolean({ default: false }) });
const ReasonBody = Type.Object({ reason: Type.String({ minLength: 3, maxLength: 1000 }) });

/** A retry's dry run for a viewer without the PHI permission: the values masked, the field names kept. */
const maskedPreview = (p: RetryPreview): RetryPreview => ({
  ...(p.before ? { before: maskLeaves(p.before) as Record<string, unknown> } : {}),
  after: maskLeaves(p.after) as Record<string, unknown>,
  changes: p.changes.map((c) => ({
    field: c.field,
    ...('before' in c ? { before: maskLeaves(c.before) } : {}),
    ...('after' in c ? { after: maskLeaves(c.after) } : {}),
  })),
});

type Deps = { store: Store; catalog: FlowCatalog; operations: FlowOperations };

/**
 * Process flows for support (issue 24). `flows:read`: `GET /api/flows` (each flow's steps as a graph
 * and how its instances stand), `GET /api/flows/:flowId` (its definition as data and its versions),
 * `GET /api/flows/instances` (filters: flow, status, time, business key; newest first, paged by
 * `before` = the answer's `nextBefore`) and
 * `GET /api/flows/instances/:id` (each step's state, request and answer, values masked without the
 * PHI permission). `flows:operate`: retry a dead step (`dryRun` first shows the request
 * it would send beside the last one), skip a step, abort an instance; each audited. Users scoped to
 * channels see and act on the instances of their channels only.
 */
export const flowRoutes: FastifyPluginAsync<Deps> = async (app, deps) => {
  readRoutes(app, deps);
  operateRoutes(app, deps);
};

/** The instance, when the user's channel scope covers it; NOT_FOUND otherwise (as for messages). */
async function visible(deps: Deps, request: FastifyRequest, id: string): Promise<FlowInstance> {
  const instance = await deps.store.flows.get(id);
  if (!instance || !inScope(principalOf(request), instance.channelId)) throw new SwitchboardError('NOT_FOUND', `no flow instance ${id}`);
  return instance;
}

async function viewOf(deps: Deps, id: string) {
  const flow = deps.catalog.get(id)!;
  return flowView(flow, await deps.store.flows.standing(id));
}

function readRoutes(app: FastifyInstance, deps: Deps): void {
  app.get('/api/flows', { config: read, schema: { summary: 'Process flows: steps, and instances by status' } }, async (request) => {
    const p = principalOf(request);
    const flows = deps.catalog.all().filter((f) => inScope(p, f.definition.trigger.channelId));
    return { flows: await Promise.all(flows.map((f) => viewOf(deps, f.definition.id))) };
  });

  app.get<{ Params: Static<typeof FlowParams> }>(
    '/api/flows/:flowId',
    { config: read, schema: { summary: 'A flow as data: its running definition and its stored versions', params: FlowParams } },
    async (request) => {
      const flow = deps.catalog.get(request.params.flowId);
      if (!flow || !inScope(principalOf(request), flow.definition.trigger.channelId))
        throw new SwitchboardError('NOT_FOUND', `no flow ${request.params.flowId}`);
      const versions = (await deps.catalog.history(flow.definition.id)).map((v) => ({ version: v.version, origin: v.origin, at: v.at }));
      return { id: flow.definition.id, version: flow.version, definition: flow.definition, versions };
    },
  );

  app.get<{ Querystring: Static<typeof InstanceQuery> }>(
    '/api/flows/instances',
    { config: read, schema: { summary: 'Flow instances, newest first', querystring: InstanceQuery } },
    async (request) => {
      const q = request.query;
      const list = await deps.store.flows.list({
        ...(q.flow ? { flowId: q.flow } : {}),
        ...(q.status ? { status: q.status } : {}),
        ...(q.from ? { from: new Date(q.from) } : {}),
        ...(q.to ? { to: new Date(q.to) } : {}),
        ...(q.key ? { key: q.key } : {}),
        ...(q.before ? { before: pageOf(q.before) } : {}),
        limit: q.limit,
      });
      const p = principalOf(request);
      const last = list.at(-1);
      return {
        instances: list.filter((i) => inScope(p, i.channelId)).map(instanceSummary),
        // A full page may have more behind it; the next starts after its last instance (in scope or not).
        nextBefore: list.length === q.limit && last ? pageText(last) : null,
      };
    },
  );

  app.get<{ Params: Static<typeof InstanceParams> }>(
    '/api/flows/instances/:id',
    { config: read, schema: { summary: 'A flow instance: each step’s state, request and answer', params: InstanceParams } },
    async (request) => {
      const instance = await visible(deps, request, request.params.id);
      const flow = await deps.catalog.at(instance.flowId, instance.flowVersion);
      if (!flow) throw new SwitchboardError('NOT_FOUND', `flow ${instance.flowId} version ${instance.flowVersion} is not stored`);
      const p = principalOf(request);
      const view = flowView({ definition: flow, version: instance.flowVersion }, await deps.store.flows.standing(instance.flowId));
      return instanceDetail(instance, { view, phi: p.phi, canOperate: hasPermission(p, Permission.flowsOperate) });
    },
  );
}

function operateRoutes(app: FastifyInstance, deps: Deps): void {
  app.post<{ Params: Static<typeof StepParams>; Body: Static<typeof RetryBody> }>(
    '/api/flows/instances/:id/steps/:stepId/retry',
    {
      config: operate,
      schema: {
        summary: 'Retry a dead step (dryRun: the request it would send, beside the last one)',
        description: 'Audited. 409 when the step is not dead or the instance is settled.',
        params: StepParams,
        body: RetryBody,
      },
    },
    async (request, reply) => {
      const { id, stepId } = request.params;
      await visible(deps, request, id);
      if (request.body.dryRun) {
        const preview = await deps.operations.previewRetry(id, stepId);
        return principalOf(request).phi ? preview : maskedPreview(preview);
      }
      return reply.code(202).send(instanceSummary(await deps.operations.retry(id, stepId, actorOf(request))));
    },
  );

  app.post<{ Params: Static<typeof StepParams>; Body: Static<typeof ReasonBody> }>(
    '/api/flows/instances/:id/steps/:stepId/skip',
    { config: operate, schema: { summary: 'Skip a step with a reason: its dependents go on', params: StepParams, body: ReasonBody } },
    async (request) => {
      const { id, stepId } = request.params;
      await visible(deps, request, id);
      return instanceSummary(await deps.operations.skip(id, stepId, request.body.reason, actorOf(request)));
    },
  );

  app.post<{ Params: Static<typeof InstanceParams>; Body: Static<typeof ReasonBody> }>(
    '/api/flows/instances/:id/abort',
    {
      config: operate,
      schema: { summary: 'Abort an instance: its compensations run, latest first', params: InstanceParams, body: ReasonBody },
    },
    async (request, reply) => {
      await visible(deps, request, request.params.id);
      return reply.code(202).send(instanceSummary(await deps.operations.abort(request.params.id, request.body.reason, actorOf(request))));
    },
  );
}
