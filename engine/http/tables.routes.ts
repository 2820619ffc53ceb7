import type { FastifyInstance, FastifyPluginAsync, FastifyReply } from 'fastify';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { SwitchboardError } from '../errors.ts';
import { tableCsv } from '../tables/table-csv.ts';
import { TABLE_NAME_PATTERN, type TableProblem } from '../tables/table-schema.ts';
import type { TableService, TableVersion } from '../tables/table-service.ts';
import { actorOf } from './access.ts';
import { sendProblem } from './problem.ts';

/** A CSV body may be this large (the admin API's other bodies stop at 1 MiB). */
export const CSV_BODY_LIMIT = 10 * 1024 * 1024;

const NameParams = Type.Object({ name: Type.String({ pattern: TABLE_NAME_PATTERN }) });
const VersionQuery = Type.Object({ version: Type.Optional(Type.Integer({ minimum: 1 })) });
const DiffQuery = Type.Object({ from: Type.Integer({ minimum: 1 }), to: Type.Integer({ minimum: 1 }) });
const SaveQuery = Type.Object({ comment: Type.Optional(Type.String({ maxLength: 500 })) });
type Named<Q extends TSchema> = { Params: Static<typeof NameParams>; Querystring: Static<Q> };

const read = { access: 'tables:read' } as const;
const write = { access: 'tables:write' } as const;

const describe = (v: TableVersion) => ({
  version: v.version,
  origin: v.origin,
  author: v.author,
  comment: v.comment ?? null,
  at: v.at,
  rows: v.definition.rows.length,
});

/**
 * Lookup tables for the console and automation (`tables:read` to look, `tables:write` to change):
 * - `GET /api/tables`, `/api/tables/:name` (latest or `?version=`, with the channels using it),
 *   `/versions`, `/diff?from=&to=`, `/csv` (a download; `?version=`).
 * - `POST /api/tables` (a definition as JSON) and `PUT /api/tables/:name/csv` (text/csv, at most
 *   10 MiB): 201 a new version, 200 unchanged, 400 `table-invalid` listing the problems (paths; lines for CSV).
 */
export const tableRoutes: FastifyPluginAsync<Deps> = async (app, deps) => {
  app.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: CSV_BODY_LIMIT }, (_request, body, done) => done(null, body));
  tableReadRoutes(app, deps);
  tableVersionRoutes(app, deps);
  tableSaveRoutes(app, deps);
};

type Deps = { tables: TableService };

const noTable = (reply: FastifyReply, name: string, version?: number) =>
  sendProblem(reply, new SwitchboardError('NOT_FOUND'), version ? `no version ${version} of table ${name}` : `no table ${name}`);

/** The asked version of a table, else the latest; undefined when there is none. */
const versionOf = (tables: TableService, name: string, version?: number) => (version ? tables.version(name, version) : tables.latest(name));

/** `GET /api/tables` and `GET /api/tables/:name`. */
function tableReadRoutes(app: FastifyInstance, { tables }: Deps): void {
  app.get('/api/tables', { config: read, schema: { summary: 'Lookup tables: the latest version of each' } }, async () => ({
    items: await tables.list(),
  }));

  app.get<Named<typeof VersionQuery>>(
    '/api/tables/:name',
    {
      config: read,
      schema: {
        summary: 'A lookup table: its latest version (or `?version=`), rows, and the channel versions whose mappings use it',
        params: NameParams,
        querystring: VersionQuery,
      },
    },
    async (request, reply) => {
      const { name } = request.params;
      const v = await versionOf(tables, name, request.query.version);
      if (!v) return noTable(reply, name, request.query.version);
      return { name, ...describe(v), definition: v.definition, usedBy: await tables.usedBy(name) };
    },
  );
}

/** `GET /api/tables/:name/versions`, `/diff` and `/csv`. */
function tableVersionRoutes(app: FastifyInstance, { tables }: Deps): void {
  app.get<{ Params: Static<typeof NameParams> }>(
    '/api/tables/:name/versions',
    { config: read, schema: { summary: 'Every version of a lookup table, newest first', params: NameParams } },
    async (request) => ({ items: (await tables.history(request.params.name)).map(describe) }),
  );

  app.get<Named<typeof DiffQuery>>(
    '/api/tables/:name/diff',
    {
      config: read,
      schema: {
        summary: 'What changed between two versions of a lookup table: rows added, removed and changed by key, columns, settings',
        params: NameParams,
        querystring: DiffQuery,
      },
    },
    async (request) => {
      const { from, to } = request.query;
      return { from, to, ...(await tables.diff(request.params.name, from, to)) };
    },
  );

  app.get<Named<typeof VersionQuery>>(
    '/api/tables/:name/csv',
    {
      config: read,
      schema: {
        summary: 'A lookup table as a CSV file: the header row, then the rows (latest version, or `?version=`)',
        params: NameParams,
        querystring: VersionQuery,
      },
    },
    async (request, reply) => {
      const { name } = request.params;
      const v = await versionOf(tables, name, request.query.version);
      if (!v) return noTable(reply, name, request.query.version);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${name}-v${v.version}.csv"`)
        .send(tableCsv(v.definition));
    },
  );
}

/** The answer to a refused save: 400 with every problem. */
const invalid = (reply: FastifyReply, problems: TableProblem[]) =>
  reply
    .code(400)
    .type('application/problem+json')
    .send({
      type: 'https://switchboard.dev/problems/table-invalid',
      title: 'Lookup table is not valid',
      status: 400,
      code: 'CONFIG_INVALID',
      detail: problems.map((p) => (p.line === undefined ? `${p.path}: ${p.message}` : p.message)).join('; '),
      problems,
    });

/** `POST /api/tables` (JSON) and `PUT /api/tables/:name/csv` (CSV): a new version, audited. */
function tableSaveRoutes(app: FastifyInstance, { tables }: Deps): void {
  app.post<{ Querystring: Static<typeof SaveQuery> }>(
    '/api/tables',
    {
      config: write,
      schema: {
        summary: 'Save a lookup table (JSON: name, description, columns, rows, onMissing) as its next version',
        description: '201 a new version, 200 when it equals the latest, 400 `table-invalid` with each problem and its path.',
        querystring: SaveQuery,
      },
    },
    async (request, reply) => {
      const { comment } = request.query;
      const saved = await tables.save({ table: request.body, actor: actorOf(request), origin: 'console', ...(comment ? { comment } : {}) });
      if (!saved.ok) return invalid(reply, saved.problems);
      return reply.code(saved.created ? 201 : 200).send({ name: saved.version.id, ...describe(saved.version) });
    },
  );

  app.put<Named<typeof SaveQuery>>(
    '/api/tables/:name/csv',
    {
      config: write,
      schema: {
        summary: 'Import a CSV file (text/csv, header row first) as the next version of a lookup table',
        description:
          'The description and onMissing of the latest version are kept (a new table errors on a missing key). ' +
          '201 a new version, 200 unchanged, 400 `table-invalid` naming the line of each problem; at most 10 MiB.',
        params: NameParams,
        querystring: SaveQuery,
      },
    },
    async (request, reply) => {
      if (typeof request.body !== 'string')
        return sendProblem(reply, new SwitchboardError('BAD_REQUEST'), 'the body is a CSV file (Content-Type: text/csv)', 415);
      const { name } = request.params;
      const { comment } = request.query;
      const saved = await tables.importCsv({ name, csv: request.body, actor: actorOf(request), ...(comment ? { comment } : {}) });
      if (!saved.ok) return invalid(reply, saved.problems);
      return reply.code(saved.created ? 201 : 200).send({ name, ...describe(saved.version) });
    },
  );
}
