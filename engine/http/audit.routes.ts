import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { AuditAction, type AuditLog } from '../audit/audit-log.ts';
import { toAuditBundle } from '../audit/fhir-audit-event.ts';
import { principalOf, sourceIp } from './access.ts';

const ListQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  beforeSeq: Type.Optional(Type.Integer({ minimum: 1 })),
  action: Type.Optional(Type.Union(Object.values(AuditAction).map((a) => Type.Literal(a)))),
  actor: Type.Optional(Type.String({ maxLength: 64 })),
});
const ExportQuery = Type.Object({
  format: Type.Union([Type.Literal('json'), Type.Literal('fhir')], { default: 'json' }),
  limit: Type.Integer({ minimum: 1, maximum: 100_000, default: 10_000 }),
});

/**
 * The audit log for auditors and administrators (`audit:read`):
 * - `GET /api/audit`: newest first, by `beforeSeq` cursor, filtered by action or actor;
 * - `GET /api/audit/verify`: walks the hash chain; `{ ok, entries }` or the first broken entry;
 * - `GET /api/audit/export?format=json|fhir`: the entries as JSON, or a FHIR R4 Bundle of
 *   AuditEvent resources; each export is itself audited.
 */
export const auditRoutes: FastifyPluginAsync<{ audit: AuditLog }> = async (app, { audit }) => {
  auditReadRoutes(app, audit);
  auditExportRoute(app, audit);
};

const access = { access: 'audit:read' } as const;

/** `GET /api/audit` and `GET /api/audit/verify`. */
function auditReadRoutes(app: FastifyInstance, audit: AuditLog): void {
  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/api/audit',
    {
      config: access,
      schema: {
        summary: 'Audit log',
        description: 'Newest first, paged by the beforeSeq cursor, filtered by action or actor.',
        querystring: ListQuery,
      },
    },
    async (request) => {
      const q = request.query;
      const items = await audit.list({
        limit: q.limit,
        ...(q.beforeSeq ? { beforeSeq: q.beforeSeq } : {}),
        ...(q.action ? { action: q.action } : {}),
        ...(q.actor ? { actor: q.actor } : {}),
      });
      return { items, nextBeforeSeq: items.length === q.limit ? (items.at(-1)?.seq ?? null) : null };
    },
  );

  app.get(
    '/api/audit/verify',
    {
      config: access,
      schema: {
        summary: 'Verify the audit chain',
        description: 'Walks the hash chain: { ok, entries }, or the first entry that does not hold.',
      },
    },
    async () => audit.verify(),
  );
}

/** `GET /api/audit/export?format=json|fhir`, itself audited. */
function auditExportRoute(app: FastifyInstance, audit: AuditLog): void {
  app.get<{ Querystring: Static<typeof ExportQuery> }>(
    '/api/audit/export',
    {
      config: access,
      schema: {
        summary: 'Export the audit log',
        description:
          'Oldest first, as JSON or as a FHIR R4 Bundle of AuditEvent resources (application/fhir+json). Each export is audited.',
        querystring: ExportQuery,
      },
    },
    async (request, reply) => {
      const { format, limit } = request.query;
      const entries = (await audit.list({ limit })).reverse();
      await audit.append({
        actor: principalOf(request).username,
        action: AuditAction.auditExport,
        outcome: 'success',
        details: { format, entries: entries.length },
        sourceIp: sourceIp(request),
      });
      return format === 'fhir' ? reply.type('application/fhir+json').send(toAuditBundle(entries)) : { items: entries };
    },
  );
}
