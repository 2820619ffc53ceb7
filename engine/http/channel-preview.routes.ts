import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { ChannelDefinition } from '../channel.ts';
import type { ChannelService } from '../channels/channel-service.ts';
import { SwitchboardError } from '../errors.ts';
import { PREVIEW_MAX, type ChannelPreviewer } from '../mappings/channel-preview.ts';
import { inScope } from '../security/roles.ts';
import { principalOf } from './access.ts';
import { sendInvalid, sendProblem } from './problem.ts';

const PreviewBody = Type.Object(
  {
    /** The draft channel version (as the editor holds it, not saved). */
    channel: Type.Record(Type.String(), Type.Unknown()),
    limit: Type.Integer({ minimum: 1, maximum: PREVIEW_MAX, default: 200 }),
  },
  { additionalProperties: false },
);

/**
 * `POST /api/channels/:id/preview` (`messages:read` and `transforms:test`, within the caller's
 * channels): a draft channel version run against the channel's last `limit` stored messages beside
 * the running version. Per message whose outcome changes: status before and after, and every
 * canonical field that changes (PHI classes masked for a caller without the PHI permission);
 * how many now fail; lookups that find no row, by table and key. Nothing is stored or sent.
 * 422 with the problems of an invalid draft; 409 when the channel is not running in this process.
 */
export const channelPreviewRoutes: FastifyPluginAsync<{ previewer: ChannelPreviewer; channels: ChannelService }> = async (app, o) => {
  app.post<{ Params: { id: string }; Body: Static<typeof PreviewBody> }>(
    '/api/channels/:id/preview',
    {
      config: { access: 'transforms:test' },
      schema: {
        summary: 'Preview a draft channel version against stored traffic',
        description: 'Which of the last N messages (at most 1,000) the draft would map differently, field by field; nothing is stored.',
        body: PreviewBody,
      },
    },
    async (request, reply) => {
      const p = principalOf(request);
      const { id } = request.params;
      if (!inScope(p, id)) return sendProblem(reply, new SwitchboardError('NOT_FOUND'), `no channel ${id}`);
      const draft = request.body.channel as unknown as ChannelDefinition;
      if (draft.id !== id) return sendProblem(reply, new SwitchboardError('BAD_REQUEST'), 'the draft’s id differs from the path');
      const problems = o.channels.validate(draft);
      if (problems.length > 0) return sendInvalid(reply, { kind: 'channel', title: 'Channel is not valid', problems });
      return o.previewer.preview(draft, request.body.limit, !p.phi);
    },
  );
};
