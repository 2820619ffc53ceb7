import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { AuditAction, type AuditLog } from '../audit/audit-log.ts';
import { SwitchboardError } from '../errors.ts';
import { decodeBytes } from '../../hl7v2/index.ts';
import { MASK, maskCanonical, maskFhir, maskHl7, maskSummary } from '../security/masking.ts';
import { inScope, type Principal } from '../security/roles.ts';
import type { Store } from '../store/store.ts';
import type { AckRecord, MessageRecord } from '../store/message-record.ts';
import { MessageStatus } from '../store/states.ts';
import { SEARCH_FIELD_NAME } from '../channels/search-fields.ts';
import { DEFAULT_SEARCH_WINDOW_DAYS, MAX_SEARCH_WINDOW_DAYS, searchWindow, type SearchWindow } from '../store/search-window.ts';
import { principalOf, sourceIp } from './access.ts';
import { sendProblem } from './problem.ts';

const ListQuery = Type.Object({
  channel: Type.Optional(Type.String({ maxLength: 100 })),
  status: Type.Optional(Type.Union(Object.values(MessageStatus).map((s) => Type.Literal(s)))),
  controlId: Type.Optional(Type.String({ maxLength: 200 })),
  mrn: Type.Optional(Type.String({ maxLength: 200 })),
  type: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9]{1,40}(\\^[A-Za-z0-9]{1,10})?$',
      description: 'message type, `ADT` or `ADT^A01`; a FHIR resource type',
    }),
  ),
  field: Type.Optional(
    Type.String({ pattern: SEARCH_FIELD_NAME, description: 'a search field the channel declares (searchFields); with channel and value' }),
  ),
  value: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'the value of `field` searched for, exactly' })),
  from: Type.Optional(
    Type.String({
      format: 'date-time',
      description: `received at or after; default ${DEFAULT_SEARCH_WINDOW_DAYS} days before to, at most ${MAX_SEARCH_WINDOW_DAYS} before`,
    }),
  ),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'received before; default now' })),
  destination: Type.Optional(Type.String({ maxLength: 100, description: 'routed to this destination' })),
  errorCode: Type.Optional(Type.String({ maxLength: 60, description: 'met this error code (intake, routing or a delivery)' })),
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
  before: Type.Optional(Type.String({ maxLength: 64, description: 'cursor: nextBefore of the previous page' })),
});

type Deps = { store: Store; audit: AuditLog; reroute(id: string): Promise<boolean> };
type ListQuery = Static<typeof ListQuery>;

/** The raw message as text, masked for a user without the PHI permission. */
function rawView(m: MessageRecord, phi: boolean): string {
  const text = decodeBytes(m.raw, { defaultCharset: m.charset }).text;
  if (phi) return text;
  if (m.format === 'hl7v2') return maskHl7(text);
  try {
    return JSON.stringify(maskFhir(JSON.parse(text)));
  } catch {
    return MASK;
  }
}

/**
 * A stored message as the API shows it: without the index-only `orderKeys`, `searchKeys`, `dedupeKey` and `contentHash` (they hold the MRN,
 * order keys and control id unless SEARCH_HASH_KEY hashes them); without the PHI permission, the summary's MRN and control id, the ACK's
 * MSA-2 (the control id again) and each delivery's order key masked (an ordered destination's key is a patient or visit identifier unless
 * SEARCH_HASH_KEY hashes it).
 */
function view<
  T extends Pick<MessageRecord, 'summary' | 'deliveries' | 'orderKeys' | 'searchKeys'> & {
    ack?: AckRecord;
    dedupeKey?: string;
    contentHash?: string;
  },
>(m: T, phi: boolean): Omit<T, 'orderKeys' | 'searchKeys' | 'dedupeKey' | 'contentHash'> {
  const { orderKeys: _order, searchKeys: _search, dedupeKey: _dedupe, contentHash: _content, ...shown } = m;
  if (phi) return shown;
  const deliveries = Object.fromEntries(Object.entries(m.deliveries).map(([id, d]) => [id, d.orderKey ? { ...d, orderKey: MASK } : d]));
  return {
    ...shown,
    deliveries,
    ...(m.summary ? { summary: maskSummary(m.summary) } : {}),
    ...(m.ack?.message ? { ack: { ...m.ack, message: maskHl7(m.ack.message) } } : {}),
  };
}

/**
 * Message search and detail (permission `messages:read`), re-route (`messages:reroute`).
 * A user sees only the channels of their scope: a message of another channel is answered 404, as
 * if it did not exist, and the attempt is audited as denied. Without the PHI permission, names,
 * identifiers, clinical content and other PHI are masked in every view (engine/security/masking.ts),
 * and a search by MRN is refused (403, audited as denied). Searches and views are audited (search
 * criteria with the MRN and control id themselves left out).
 */
export const messageRoutes: FastifyPluginAsync<Deps> = async (app, deps) => {
  app.get<{ Querystring: ListQuery }>(
    '/api/messages',
    {
      config: { access: 'messages:read' },
      schema: {
        summary: 'Search messages',
        description:
          'Newest first, paged by the nextBefore cursor, within the caller’s channels and a time window (from … to: by default the ' +
          `last ${DEFAULT_SEARCH_WINDOW_DAYS} days, at most ${MAX_SEARCH_WINDOW_DAYS}; a wider one is 400); MRNs and control ids ` +
          'masked without the PHI permission. `field` and `value` search by a search field the channel declares (with `channel`). ' +
          'Searching by MRN or a search field (identifiers) needs the PHI permission: 403 otherwise, audited as denied. Audited ' +
          '(without the MRN, control id or field value searched for).',
        querystring: ListQuery,
      },
    },
    async (request, reply) => searchMessages(deps, request, reply),
  );

  app.get<{ Params: { id: string } }>(
    '/api/messages/:id',
    {
      config: { access: 'messages:read' },
      schema: {
        summary: 'One message',
        description:
          'The stored message: summary, raw text, canonical events, each delivery with its attempts, and the ACK sent; patient data ' +
          'masked without the PHI permission. 404 outside the caller’s channels. Audited.',
      },
    },
    async (request, reply) => showMessage(deps, request, reply),
  );

  app.post<{ Params: { id: string } }>(
    '/api/messages/:id/reroute',
    {
      config: { access: 'messages:reroute' },
      schema: {
        summary: 'Route a message again',
        description:
          '202 when an errored or filtered message is queued for routing with the current transforms; 409 in any other state. Audited.',
      },
    },
    async (request, reply) => rerouteMessage(deps, request, reply),
  );
};

/** The message if it exists and the user's scope includes it; audits a denial. */
export async function visibleMessage(
  { store, audit }: Pick<Deps, 'store' | 'audit'>,
  request: FastifyRequest,
  p: Principal,
  id: string,
): Promise<MessageRecord | undefined> {
  const message = await store.messages.get(id);
  if (message && inScope(p, message.channelId)) return message;
  if (message)
    await audit.append({
      actor: p.username,
      action: AuditAction.denied,
      outcome: 'denied',
      target: `message:${id}`,
      details: { why: 'channel outside the user scope' },
      sourceIp: sourceIp(request),
    });
  return undefined;
}

/** `GET /api/messages/:id`: the stored message, masked without the PHI permission; 404 outside the caller's channels. Audited. */
async function showMessage(deps: Deps, request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) {
  const p = principalOf(request);
  const message = await visibleMessage(deps, request, p, request.params.id);
  if (!message) return sendProblem(reply, new SwitchboardError('NOT_FOUND'), 'no message with that id');
  await deps.audit.append({
    actor: p.username,
    action: AuditAction.messageView,
    outcome: 'success',
    target: `message:${message._id}`,
    details: { phi: p.phi },
    sourceIp: sourceIp(request),
  });
  const { raw: _raw, kid: _kid, ...rest } = message;
  const canonical = rest.canonical && !p.phi ? { ...rest.canonical, events: maskCanonical(rest.canonical.events) } : rest.canonical;
  return { ...view(rest, p.phi), ...(canonical ? { canonical } : {}), raw: rawView(message, p.phi), masked: !p.phi };
}

/**
 * `POST /api/messages/:id/reroute`: routes an `errored` or `filtered` message again with the current transforms
 * (after a fix). 202 when queued; 409 when the message is in a state that cannot be re-routed. Audited.
 */
async function rerouteMessage(deps: Deps, request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) {
  const p = principalOf(request);
  const message = await visibleMessage(deps, request, p, request.params.id);
  if (!message) return sendProblem(reply, new SwitchboardError('NOT_FOUND'), 'no message with that id');
  if (!(await deps.reroute(message._id)))
    return sendProblem(
      reply,
      new SwitchboardError('CONFLICT'),
      `a ${message.status} message cannot be re-routed; only errored or filtered ones`,
    );
  await deps.audit.append({
    actor: p.username,
    action: AuditAction.messageReroute,
    outcome: 'success',
    target: `message:${message._id}`,
    sourceIp: sourceIp(request),
  });
  return reply.code(202).send({ id: message._id, status: 'received' });
}

/**
 * `GET /api/messages`: a page of the caller's messages, newest first, within a time window (searchWindow: 400 when too
 * wide). A search by MRN or by a search field without the PHI permission is refused (403, audited as denied); every
 * other search is audited, without the MRN, control id and field value searched for. A search field needs `channel`
 * and `value` (400 otherwise); one the channel does not declare finds nothing.
 */
async function searchMessages({ store, audit }: Deps, request: FastifyRequest<{ Querystring: ListQuery }>, reply: FastifyReply) {
  const p = principalOf(request);
  const q = request.query;
  const malformed =
    q.field && !q.channel
      ? 'a search by field needs `channel`: search fields are declared per channel'
      : Boolean(q.field) !== Boolean(q.value)
        ? '`field` and `value` go together'
        : undefined;
  if (malformed) return sendProblem(reply, new SwitchboardError('BAD_REQUEST'), malformed);
  let window: SearchWindow;
  try {
    window = searchWindow({ ...(q.from ? { from: new Date(q.from) } : {}), ...(q.to ? { to: new Date(q.to) } : {}) });
  } catch (err) {
    return sendProblem(reply, err as SwitchboardError, (err as Error).message);
  }
  if ((q.mrn || q.field) && !p.phi) {
    // Whether a patient (or an account, an order) has messages at all is PHI: the answer, even masked or empty, would tell.
    const why = `searching by ${q.mrn ? 'MRN' : 'a search field'} (an identifier) needs the PHI permission`;
    await audit.append({
      actor: p.username,
      action: AuditAction.denied,
      outcome: 'denied',
      target: 'GET /api/messages',
      details: { why, ...(q.mrn ? { mrn: '[given]' } : { field: q.field, value: '[given]' }) },
      sourceIp: sourceIp(request),
    });
    return sendProblem(reply, new SwitchboardError('FORBIDDEN'), why);
  }
  await audit.append({
    actor: p.username,
    action: AuditAction.messageSearch,
    outcome: 'success',
    details: searchDetails(q, p.phi),
    sourceIp: sourceIp(request),
  });
  const shownWindow = { from: window.from.toISOString(), to: window.to.toISOString() };
  if (q.channel && !inScope(p, q.channel)) return { items: [], nextBefore: null, window: shownWindow };
  const items = await store.messages.list(listCriteria(q, p, window));
  const last = items.at(-1);
  return { items: items.map((m) => view(m, p.phi)), nextBefore: items.length === q.limit && last ? last._id : null, window: shownWindow };
}

/** The store query of a search: the caller's filters within the caller's channels. */
function listCriteria(q: ListQuery, p: Principal, window: SearchWindow): Parameters<Store['messages']['list']>[0] {
  return {
    limit: q.limit,
    ...(q.channel ? { channelId: q.channel } : {}),
    ...(p.channels !== '*' ? { channelIds: p.channels } : {}),
    ...(q.status ? { status: q.status } : {}),
    ...(q.controlId ? { controlId: q.controlId } : {}),
    ...(q.mrn ? { mrn: q.mrn } : {}),
    ...(q.type ? { messageType: q.type } : {}),
    ...(q.field && q.value ? { field: { name: q.field, value: q.value } } : {}),
    from: window.from,
    to: window.to,
    ...(q.destination ? { destinationId: q.destination } : {}),
    ...(q.errorCode ? { errorCode: q.errorCode } : {}),
    ...(q.before ? { before: q.before } : {}),
  };
}

/** The audited criteria of a search: the MRN, control id and field value only as `[given]`. */
function searchDetails(q: ListQuery, phi: boolean) {
  const given = (v: string | undefined) => (v ? '[given]' : undefined);
  return {
    channel: q.channel,
    status: q.status,
    controlId: given(q.controlId),
    mrn: given(q.mrn),
    field: q.field,
    value: given(q.value),
    type: q.type,
    from: q.from,
    to: q.to,
    destination: q.destination,
    errorCode: q.errorCode,
    phi,
  };
}
