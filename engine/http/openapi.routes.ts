import type { FastifyPluginAsync } from 'fastify';
import pkg from '../../package.json' with { type: 'json' };
import type { AdminRoute } from './access.ts';
import { buildOpenApiDocument, type OpenApiDocument } from './openapi.ts';
import { DOCS_CSS, DOCS_CSS_PATH, renderDocsPage } from './openapi-docs-page.ts';

/**
 * The admin API describing itself, for any signed-in user (the route inventory is not public):
 * - `GET /api/openapi.json`: the OpenAPI 3.1 document (openapi.ts);
 * - `GET /api/docs`: the same as a readable page, and `GET /api/docs.css` its stylesheet.
 * Both are made on the first request, once every route is registered, and kept: routes do not
 * change after the server is ready.
 */
export const openApiRoutes: FastifyPluginAsync<{
  /** The server's admin routes (listAdminRoutes of the root instance). */ routes: () => readonly AdminRoute[];
}> = async (app, { routes }) => {
  let made: { doc: OpenApiDocument; page: string } | undefined;
  const document = () => {
    if (!made) {
      const doc = buildOpenApiDocument(routes(), pkg.version);
      made = { doc, page: renderDocsPage(doc) };
    }
    return made;
  };
  const access = { access: 'authenticated' } as const;

  app.get(
    '/api/openapi.json',
    {
      config: access,
      schema: {
        summary: 'This API as an OpenAPI 3.1 document',
        description:
          'Made from the routes as registered: each operation with its permission (x-switchboard-permission), credentials, parameters, ' +
          'body schema and problem answers.',
      },
    },
    async (_request, reply) => reply.type('application/json').send(document().doc),
  );

  app.get(
    '/api/docs',
    {
      config: access,
      schema: { summary: 'This API as a readable page', description: 'HTML rendered on the server from the OpenAPI document (no script).' },
    },
    async (_request, reply) => reply.type('text/html; charset=utf-8').send(document().page),
  );

  app.get(DOCS_CSS_PATH, { config: access, schema: { summary: 'Stylesheet of the docs page' } }, async (_request, reply) =>
    reply.type('text/css; charset=utf-8').send(DOCS_CSS),
  );
};
