import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync } from 'fastify';
import { SwitchboardError } from '../errors.ts';
import { sendProblem } from './problem.ts';

/** Where `npm run build:ui` (vite) writes the console: admin-ui/dist beside engine/. */
export const CONSOLE_DIST = fileURLToPath(new URL('../../admin-ui/dist', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

interface StaticFile {
  type: string;
  body: Buffer;
}

/** Every file under `dir`, by URL path (`/assets/index-abc.js`). */
function readTree(dir: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  if (!existsSync(dir)) return files;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    const urlPath = `/${path.relative(dir, full).split(path.sep).join('/')}`;
    files.set(urlPath, { type: TYPES[path.extname(entry.name)] ?? 'application/octet-stream', body: readFileSync(full) });
  }
  return files;
}

const isApiPath = (p: string) => ['/api', '/fhir'].some((prefix) => p === prefix || p.startsWith(`${prefix}/`));

/**
 * The admin console (admin-ui/dist, built by vite) at `/`. The files are read once at start into
 * memory (a few files, under 100 KiB), so only files that were there can be served: no path from
 * the request ever reaches the file system. Any other path without an extension gets index.html,
 * for the console's client-side routes (/messages/abc). /api and /fhir are left alone: an unknown
 * path there is the usual 404 problem. The files hold no data, so the route is public; the data
 * comes from the admin API, which checks every call. Hashed assets are cached for a year, the
 * page itself is revalidated.
 */
export const consoleRoutes: FastifyPluginAsync<{ root?: string }> = async (app, options) => {
  const files = readTree(options.root ?? CONSOLE_DIST);
  app.get('/*', { config: { access: 'public' } }, async (request, reply) => {
    const urlPath = request.url.split('?')[0]!;
    if (isApiPath(urlPath)) return reply.callNotFound();
    const file = files.get(urlPath) ?? (path.extname(urlPath) ? undefined : files.get('/index.html'));
    if (!file) {
      const detail = files.size === 0 ? 'the console is not built: npm run build:ui' : 'no such file';
      return sendProblem(reply, new SwitchboardError('NOT_FOUND'), detail);
    }
    const immutable = urlPath.startsWith('/assets/');
    return reply
      .type(file.type)
      .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
      .send(file.body);
  });
};
