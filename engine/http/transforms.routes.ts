import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { SwitchboardError } from '../errors.ts';
import { decodeBytes, Hl7ParseError, parseMessage } from '../../hl7v2/index.ts';
import type { Transform } from '../../transforms/dsl/define-transform.ts';
import type { TransformInput } from '../../transforms/dsl/expression.ts';
import { canonicalModels } from '../../transforms/canonical/index.ts';
import { problemOf, sendProblem } from './problem.ts';

const RunBody = Type.Object({
  /** An HL7v2 message (segments separated by CR or LF), or a FHIR resource as JSON text or object. */
  message: Type.Union([Type.String({ minLength: 1, maxLength: 4 * 1024 * 1024 }), Type.Record(Type.String(), Type.Unknown())]),
});

/**
 * Canonical models and transforms for analysts and ERP teams:
 * - `GET /api/schemas`, `GET /api/schemas/:id`: each model's JSON Schema (with `dataClass` per field);
 * - `GET /api/transforms`, `GET /api/transforms/:id`: each transform as a table of target ← source;
 * Reading needs `transforms:read`; the test bench `transforms:test` (analysts and admins).
 * - `POST /api/transforms/:id/run`: the test bench. 200 with the canonical events, or 422 with every
 *   field error (target, source, value, reason). The sample is not stored.
 */
export const transformRoutes: FastifyPluginAsync<{ transforms: ReadonlyMap<string, Transform> }> = async (app, { transforms }) => {
  schemaRoutes(app);
  transformReadRoutes(app, transforms);
  testBenchRoute(app, transforms);
};

type RunBody = Static<typeof RunBody>;
type RunRequest = { Params: { id: string }; Body: RunBody };

/** `GET /api/schemas` and `GET /api/schemas/:id`. */
function schemaRoutes(app: FastifyInstance): void {
  app.get(
    '/api/schemas',
    {
      config: { access: 'transforms:read' },
      schema: { summary: 'Canonical models', description: 'Id, title and version of each canonical model.' },
    },
    async () => ({
      items: [...canonicalModels.entries()].map(([id, s]) => ({ id, title: s.title, version: (s as { version?: number }).version })),
    }),
  );

  app.get<{ Params: { id: string } }>(
    '/api/schemas/:id',
    {
      config: { access: 'transforms:read' },
      schema: { summary: 'A canonical model’s JSON Schema', description: 'application/schema+json, with the data class of each field.' },
    },
    async (request, reply) => {
      const schema = canonicalModels.get(request.params.id);
      if (!schema) return sendProblem(reply, new SwitchboardError('NOT_FOUND'), `no canonical model ${request.params.id}`);
      return reply.type('application/schema+json').send(schema);
    },
  );
}

/** `GET /api/transforms` and `GET /api/transforms/:id`. */
function transformReadRoutes(app: FastifyInstance, transforms: ReadonlyMap<string, Transform>): void {
  const describe = (t: Transform) => ({
    id: t.id,
    version: t.version,
    description: t.description,
    input: t.input,
    accepts: t.accepts,
    model: t.model,
    modelVersion: t.modelVersion,
    forEach: t.forEach ?? null,
    rows: t.rows,
  });
  app.get(
    '/api/transforms',
    {
      config: { access: 'transforms:read' },
      schema: {
        summary: 'Transforms',
        description: 'Each transform with what it accepts, its model and its rows of target field ← source expression.',
      },
    },
    async () => ({ items: [...transforms.values()].map(describe) }),
  );

  app.get<{ Params: { id: string } }>(
    '/api/transforms/:id',
    {
      config: { access: 'transforms:read' },
      schema: { summary: 'One transform', description: 'What it accepts, its model and its rows of target field ← source expression.' },
    },
    async (request, reply) => {
      const t = transforms.get(request.params.id);
      return t ? describe(t) : sendProblem(reply, new SwitchboardError('NOT_FOUND'), `no transform ${request.params.id}`);
    },
  );
}

/** `POST /api/transforms/:id/run`, the test bench. */
function testBenchRoute(app: FastifyInstance, transforms: ReadonlyMap<string, Transform>): void {
  app.post<RunRequest>(
    '/api/transforms/:id/run',
    {
      config: { access: 'transforms:test' },
      schema: {
        summary: 'Test a transform on a sample',
        description:
          'The canonical events, or 422 (TRANSFORM_FAILED) with every field error: target, source, value, reason. The sample is not ' +
          'stored.',
        body: RunBody,
      },
    },
    async (request, reply) => runSample(transforms, request, reply),
  );
}

/** `POST /api/transforms/:id/run`: the canonical events of a sample, or 422 with every field error; nothing is stored. */
async function runSample(transforms: ReadonlyMap<string, Transform>, request: FastifyRequest<RunRequest>, reply: FastifyReply) {
  const t = transforms.get(request.params.id);
  if (!t) return sendProblem(reply, new SwitchboardError('NOT_FOUND'), `no transform ${request.params.id}`);
  const sample = readSample(t, request.body.message);
  if (typeof sample === 'string') return sendProblem(reply, new SwitchboardError('BAD_REQUEST'), sample);
  const { input, type } = sample;
  if (!t.accepts.includes(type))
    return sendProblem(reply, new SwitchboardError('BAD_REQUEST'), `${t.id} maps ${t.accepts.join(', ')}, not ${type}`);
  const source = {
    channelId: 'test-bench',
    messageType: type,
    controlId: 'test-bench',
    sendingApplication: 'test-bench',
    sendingFacility: '',
  };
  const { events, errors } = t.tryRun(input, source);
  if (errors.length > 0) {
    const problem = problemOf(new SwitchboardError('TRANSFORM_FAILED'));
    return reply
      .code(problem.status)
      .type('application/problem+json')
      .send({ ...problem, errors });
  }
  return { transform: { id: t.id, version: t.version }, model: t.model, modelVersion: t.modelVersion, events };
}

/** The sample as the transform's input and its message type, or why it cannot be read (for a 400). */
function readSample(t: Transform, message: RunBody['message']): { input: TransformInput; type: string } | string {
  try {
    if (t.input === 'hl7') {
      if (typeof message !== 'string') return `${t.id} reads HL7v2: send the message as a string`;
      const parsed = parseMessage(decodeBytes(Buffer.from(message, 'utf8')).text);
      return { input: { kind: 'hl7', message: parsed }, type: `${parsed.header.messageType}^${parsed.header.triggerEvent}` };
    }
    const resource = (typeof message === 'string' ? JSON.parse(message) : message) as Record<string, unknown>;
    return { input: { kind: 'fhir', resource }, type: String(resource.resourceType) };
  } catch (err) {
    return err instanceof Hl7ParseError ? err.message : 'the sample is not valid JSON';
  }
}
