import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { AuditAction, type AuditLog } from '../audit/audit-log.ts';
import { SwitchboardError } from '../errors.ts';
import type { CorrectionOutcome } from '../intake/corrections.ts';
import type { MessageRecord } from '../store/message-record.ts';
import type { Store } from '../store/store.ts';
import { principalOf, sourceIp } from './access.ts';
import { visibleMessage } from './messages.routes.ts';
import { sendProblem } from './problem.ts';

const CorrectionBody = Type.Object(
  {
    content: Type.String({
      minLength: 1,
      maxLength: 1024 * 1024 - 4096,
      description: 'the corrected message: HL7v2 text (line breaks separate segments) or, for a FHIR message, the resource as JSON',
    }),
    reason: Type.String({ minLength: 3, maxLength: 500, description: 'why the message is corrected; audited' }),
  },
  { additionalProperties: false },
);
type CorrectionBody = Static<typeof CorrectionBody>;

type Deps = { store: Store; audit: AuditLog; correct(original: MessageRecord, content: string): Promise<CorrectionOutcome> };
type CorrectionRequest = FastifyRequest<{ Params: { id: string }; Body: CorrectionBody }>;

/**
 * Edit and resend (`messages:reroute` and the PHI permission, since the content is shown and written in clear):
 * `POST /api/messages/:id/corrections` stores corrected content as a new message linked to the original and routes
 * it (intake/corrections.ts). The original stays as it was; its state lists the correction. Audited as
 * `message.resend` with who, the two ids and the reason, never the content.
 */
export const messageCorrectionRoutes: FastifyPluginAsync<Deps> = async (app, deps) => {
  app.post<{ Params: { id: string }; Body: CorrectionBody }>(
    '/api/messages/:id/corrections',
    {
      config: { access: 'messages:reroute' },
      schema: {
        summary: 'Correct a message and send it again',
        description:
          '201 with the new message’s id: the corrected content, read and routed like any message of the channel, stored as a new ' +
          'message whose `correctionOf` names the original (which is not changed; its `corrections` list the new one). Needs the PHI ' +
          'permission (403 otherwise, audited as denied). 400 when the content cannot be read, 422 when the channel does not accept ' +
          'it or a transform refuses it (nothing stored), 409 when the channel is not deployed or the message is still being ' +
          'routed or delivered. Audited with the reason.',
        body: CorrectionBody,
      },
    },
    async (request, reply) => correctMessage(deps, request, reply),
  );
};

/** The problem for a correction that was not stored: status and detail by outcome. */
function refusal(outcome: Exclude<CorrectionOutcome, { kind: 'stored' }>, channelId: string): [SwitchboardError, string, number?] {
  switch (outcome.kind) {
    case 'undeployed':
      return [new SwitchboardError('CONFLICT'), `channel ${channelId} is not deployed: a correction is routed by the deployed channel`];
    case 'unsettled':
      return [new SwitchboardError('CONFLICT'), 'the message is still being routed or delivered: correct it once it is settled'];
    case 'invalid':
      return [new SwitchboardError('BAD_REQUEST'), outcome.detail];
    case 'unprocessable':
      return [new SwitchboardError('BAD_REQUEST'), outcome.detail, 422];
    case 'unavailable':
      return [new SwitchboardError('STORE_UNAVAILABLE'), 'the correction was not stored; try again'];
    default:
      return outcome satisfies never;
  }
}

/** `POST /api/messages/:id/corrections` (see messageCorrectionRoutes). */
async function correctMessage(deps: Deps, request: CorrectionRequest, reply: FastifyReply) {
  const p = principalOf(request);
  const target = `message:${request.params.id}`;
  const entry = { actor: p.username, target, sourceIp: sourceIp(request) };
  if (!p.phi) {
    const why = 'correcting a message shows and writes its content: it needs the PHI permission';
    await deps.audit.append({ ...entry, action: AuditAction.denied, outcome: 'denied', details: { why } });
    return sendProblem(reply, new SwitchboardError('FORBIDDEN'), why);
  }
  const original = await visibleMessage(deps, request, p, request.params.id);
  if (!original) return sendProblem(reply, new SwitchboardError('NOT_FOUND'), 'no message with that id');
  const { reason } = request.body;
  const outcome = await deps.correct(original, request.body.content);
  if (outcome.kind !== 'stored') {
    // The refusal's kind only: its detail may quote the content.
    await deps.audit.append({
      ...entry,
      action: AuditAction.messageResend,
      outcome: 'failure',
      details: { reason, refused: outcome.kind },
    });
    return sendProblem(reply, ...refusal(outcome, original.channelId));
  }
  await deps.audit.append({
    ...entry,
    target: `message:${outcome.messageId}`,
    action: AuditAction.messageResend,
    outcome: 'success',
    details: { correctionOf: original._id, reason },
  });
  return reply.code(201).send({ id: outcome.messageId, correctionOf: original._id, status: outcome.status });
}
