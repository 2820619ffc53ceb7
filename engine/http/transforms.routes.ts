import type { FastifyPluginAsync } from 'fastify';
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
  app.get('/api/schemas', { config: { access: 'transforms:read' }, schema: { summary: 'Canonical models', description: 'Id, title and version of each canonical model.' } }, async () => ({ items: [...canonicalModels.entries()].map(([id, s]) => ({ id, title: s.title, version: (s as { version?: number }).version })) }));

  app.get<{ Params: { id: string } }>('/api/schemas/:id', { config: { access: 'transforms:read' }, schema: { summary: 'A canonical model’s JSON Schema', description: 'application/schema+json, with the data class of each field.' } }, async (request, reply) => {
    const schema = canonicalModels.get(request.params.id);
    if (!schema) return sendProblem(reply, new SwitchboardError('NOT_FOUND'), `no canonical model ${request.params.id}`);
    return reply.type('application/schema+json').send(schema);
  });

  const describe = (t: Transform) => ({ id: t.id, version: t.version, description: t.description, input: t.input, accepts: t.accepts, model: t.model, modelVersion: t.modelVersion, forEach: t.forEach ?? null, rows: t.rows });
  app.get('/api/transforms', { config: { access: 'transforms:read' }, schema: { summary: 'Transforms', description: 'Each transform with what it accepts, its model and its rows of target field ← source expression.' } }, async () => ({ items: [...transforms.values()].map(describe) }));

  app.get<{ Params: { id: string } }>('/api/transforms/:id', { config: { access: 'transforms:read' }, schema: { summary: 'One transform', description: 'What it accepts, its model and its rows of target field ← source expression.' } }, async (request, reply) => {
    const t = transforms.get(request.params.id);
    return t ? describe(t) : sendProblem(reply, new SwitchboardError('NOT_FOUND'), `no transform ${request.params.id}`);
  });

  app.post<{ Params: { id: string }; Body: Static<typeof RunBody> }>('/api/transforms/:id/run', { config: { access: 'transforms:test' }, schema: { summary: 'Test a transform on a sample', description: 'The canonical events, or 422 (TRANSFORM_FAILED) with every field error: target, source, value, reason. The sample is not stored.', body: RunBody } }, async (request, reply) => {
    const t = transforms.get(request.params.id);
    if (!t) return sendProblem(reply, new SwitchboardError('NOT_FOUND'), `no transform ${request.params.id}`);
    let input: TransformInput;
    let type: string;
    try {
      if (t.input === 'hl7') {
        if (typeof request.body.message !== 'string') return sendProblem(reply, new SwitchboardError('BAD_REQUEST'), `${t.id} reads HL7v2: send the message as a string`);
        const message = parseMessage(decodeBytes(Buffer.from(request.body.message, 'utf8')).text);
        input = { kind: 'hl7', message };
        type = `${message.header.messageType}^${message.header.triggerEvent}`;
      } else {
        const resource = (typeof request.body.message === 'string' ? JSON.parse(request.body.message) : request.body.message) as Record<string, unknown>;
        input = { kind: 'fhir', resource };
        type = String(resource.resourceType);
      }
    } catch (err) {
      const detail = err instanceof Hl7ParseError ? err.message : 'the sample is not valid JSON';
      return sendProblem(reply, new SwitchboardError('BAD_REQUEST'), detail);
    }
    if (!t.accepts.includes(type)) return sendProblem(reply, new SwitchboardError('BAD_REQUEST'), `${t.id} maps ${t.accepts.join(', ')}, not ${type}`);
    const source = { channelId: 'test-bench', messageType: type, controlId: 'test-bench', sendingApplication: 'test-bench', sendingFacility: '' };
    const { events, errors } = t.tryRun(input, source);
    if (errors.length > 0) {
      const problem = problemOf(new SwitchboardError('TRANSFORM_FAILED'));
      return reply.code(problem.status).type('application/problem+json').send({ ...problem, errors });
    }
    return { transform: { id: t.id, version: t.version }, model: t.model, modelVersion: t.modelVersion, events };
  });
};
