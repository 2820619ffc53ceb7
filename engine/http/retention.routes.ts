import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { SwitchboardError } from '../errors.ts';
import type { Pruner } from '../ops/retention/pruner.ts';
import type { Store } from '../store/store.ts';
import { principalOf } from './access.ts';

const ListQuery = Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 200, default: 20 }) });
const RunParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

/**
 * Pruning runs (issue 25, engine/ops/retention):
 * - `GET /api/retention/runs` and `GET /api/retention/runs/:id` (`audit:read`: administrators and
 *   auditors): what each run removed by channel and status, kept, archived (files, sha256),
 *   cut from the audit log, reclaimed, and how long it took. Ids and counts only, no patient data.
 * - `POST /api/retention/runs` (`retention:run`, administrators): asks for a run now; 202 with the
 *   requested record. A worker process takes it at its next look (RELAY_INTERVAL_MS at most, or at
 *   once where this process prunes); the run's outcome is audited under the requester's name.
 */
export const retentionRoutes: FastifyPluginAsync<{ pruner: Pruner; store: Store }> = async (app, { pruner, store }) => {
  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/api/retention/runs',
    {
      config: { access: 'audit:read' },
      schema: {
        summary: 'Pruning runs',
        description: 'The last pruning runs, newest first: counts removed by channel and status, archive files, audit entries cut.',
        querystring: ListQuery,
      },
    },
    async (request) => ({ items: await store.retention.listRuns(request.query.limit) }),
  );
  app.get<{ Params: Static<typeof RunParams> }>(
    '/api/retention/runs/:id',
    {
      config: { access: 'audit:read' },
      schema: { summary: 'One pruning run', description: 'The run record; 404 when there is none.', params: RunParams },
    },
    async (request) => {
      const run = await store.retention.getRun(request.params.id);
      if (!run) throw new SwitchboardError('NOT_FOUND', 'no such pruning run');
      return run;
    },
  );
  app.post(
    '/api/retention/runs',
    {
      config: { access: 'retention:run' },
      schema: {
        summary: 'Run pruning now',
        description:
          'Asks for a pruning run; 202 with the requested record, which a worker process takes at its next look. The outcome is audited.',
      },
    },
    async (request, reply) => reply.code(202).send(await pruner.request('api', principalOf(request).username)),
  );
};
