import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { DefinitionOrigin, type DefinitionVersion } from '../definitions/versioned-store.ts';
import { SwitchboardError } from '../errors.ts';
import type { MappingService } from '../mappings/mapping-service.ts';
import { canonicalModels } from '../../transforms/canonical/index.ts';
import type { MappingDefinition } from '../../transforms/mapping/mapping-definition.ts';
import { modelFields } from '../../transforms/mapping/model-fields.ts';
import { expressionFunctions } from '../../transforms/mapping/expression-functions.ts';
import { principalOf, sourceIp } from './access.ts';
import { sendInvalid, sendProblem } from './problem.ts';

const Draft = Type.Object({ mapping: Type.Unknown() });
const PreviewBody = Type.Object({ mapping: Type.Unknown(), sample: Type.String({ minLength: 1, maxLength: 4 * 1024 * 1024 }) });
const SaveQuery = Type.Object({ comment: Type.Optional(Type.String({ maxLength: 500 })) });
const VersionQuery = Type.Object({ version: Type.Optional(Type.Integer({ minimum: 1 })) });

const describe = (v: DefinitionVersion<MappingDefinition>) => ({
  id: v.id,
  version: v.version,
  model: v.definition.model,
  input: v.definition.input,
  accepts: v.definition.accepts,
  description: v.definition.description,
  origin: v.origin,
  author: v.author,
  comment: v.comment ?? null,
  at: v.at,
});

/**
 * Data mappings for the console (issue 23): `transforms:read` to look, `transforms:test` to check
 * and preview a draft, `channels:write` to save a version. A saved version is not running until a
 * channel version pins it and is deployed.
 * - `GET /api/models/:id/fields`: the model's fields an editor lists (type, data class, required);
 * - `GET /api/mappings/functions`: the functions expressions may call, for the editor's help;
 * - `GET /api/mappings`, `GET /api/mappings/:id[?version=]`, `GET /api/mappings/:id/versions`;
 * - `POST /api/mappings/check`: every problem of a draft (path, line, column) and each fixture's result;
 * - `POST /api/mappings/preview`: the draft run on a sample: events and field errors (not stored);
 * - `PUT /api/mappings/:id`: saves the next version (422 with the problems; fixtures may fail, which blocks deploys).
 */
export const mappingRoutes: FastifyPluginAsync<{ mappings: MappingService }> = async (app, { mappings }) => {
  readRoutes(app, mappings);
  draftRoutes(app, mappings);
  app.put<{ Params: { id: string }; Body: unknown; Querystring: Static<typeof SaveQuery> }>(
    '/api/mappings/:id',
    {
      config: { access: 'channels:write' },
      schema: {
        summary: 'Save a mapping version',
        description:
          'The body is a mapping (MappingDefinition). 201 with the next version and each fixture’s result; 422 with every problem.',
        querystring: SaveQuery,
      },
    },
    async (request, reply) => {
      const definition = request.body as MappingDefinition;
      if (!definition || typeof definition !== 'object' || definition.id !== request.params.id)
        return sendProblem(reply, new SwitchboardError('BAD_REQUEST'), 'the mapping id differs from the path');
      const saved = await mappings.save(definition, {
        origin: DefinitionOrigin.console,
        author: principalOf(request).username,
        ...(request.query.comment ? { comment: request.query.comment } : {}),
        sourceIp: sourceIp(request),
      });
      if (!saved.ok) return sendInvalid(reply, { kind: 'mapping', title: 'Mapping is not valid', problems: saved.check.problems });
      return reply.code(saved.created ? 201 : 200).send({ ...describe(saved.version), fixtures: saved.check.fixtures });
    },
  );
};

function readRoutes(app: FastifyInstance, mappings: MappingService): void {
  app.get<{ Params: { id: string } }>(
    '/api/models/:id/fields',
    {
      config: { access: 'transforms:read' },
      schema: { summary: 'A canonical model’s fields', description: 'Path, type, data class, required.' },
    },
    async (request, reply) => {
      const schema = canonicalModels.get(request.params.id);
      if (!schema) return sendProblem(reply, new SwitchboardError('NOT_FOUND'), `no canonical model ${request.params.id}`);
      return { items: modelFields(schema) };
    },
  );
  app.get(
    '/api/mappings/functions',
    {
      config: { access: 'transforms:read' },
      schema: { summary: 'The mapping language’s functions', description: 'Name, parameters, result type, a line of help and an example.' },
    },
    async () => ({ items: expressionFunctions.map(({ name, params, result, doc, example }) => ({ name, params, result, doc, example })) }),
  );
  app.get(
    '/api/mappings',
    { config: { access: 'transforms:read' }, schema: { summary: 'Mappings', description: 'The latest version of each data mapping.' } },
    async () => ({ items: (await mappings.list()).map(describe) }),
  );
  app.get<{ Params: { id: string }; Querystring: Static<typeof VersionQuery> }>(
    '/api/mappings/:id',
    {
      config: { access: 'transforms:read' },
      schema: {
        summary: 'One mapping',
        description: 'The latest version, or `?version=`, with its definition.',
        querystring: VersionQuery,
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const v = request.query.version ? await mappings.version(id, request.query.version) : await mappings.latest(id);
      if (!v)
        return sendProblem(
          reply,
          new SwitchboardError('NOT_FOUND'),
          `no mapping ${id}${request.query.version ? ` version ${request.query.version}` : ''}`,
        );
      return { ...describe(v), definition: v.definition };
    },
  );
  app.get<{ Params: { id: string } }>(
    '/api/mappings/:id/versions',
    { config: { access: 'transforms:read' }, schema: { summary: 'A mapping’s versions', description: 'Newest first, at most 200.' } },
    async (request) => ({ items: (await mappings.history(request.params.id)).map(describe) }),
  );
}

function draftRoutes(app: FastifyInstance, mappings: MappingService): void {
  app.post<{ Body: Static<typeof Draft> }>(
    '/api/mappings/check',
    {
      config: { access: 'transforms:test' },
      schema: {
        summary: 'Check a draft mapping',
        description: 'Every problem (path, line, column) and each fixture’s result.',
        body: Draft,
      },
    },
    async (request) => mappings.check(request.body.mapping),
  );
  app.post<{ Body: Static<typeof PreviewBody> }>(
    '/api/mappings/preview',
    {
      config: { access: 'transforms:test' },
      schema: {
        summary: 'Run a draft mapping on a sample',
        description: 'Its events and field errors; nothing is stored.',
        body: PreviewBody,
      },
    },
    async (request) => mappings.preview(request.body.mapping, request.body.sample),
  );
}
