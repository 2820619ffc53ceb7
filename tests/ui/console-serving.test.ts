import test from 'ava';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { consoleRoutes } from '../../engine/http/console.routes.ts';
import { startTestEngine, testChannel } from '../support/harness.ts';

test('the console is served at / with its content types; client routes get index.html; /api and /fhir are untouched', async (t) => {
  const sb = await startTestEngine({ channels: [testChannel({ erpUrl: 'http://127.0.0.1:9' })] });
  t.teardown(() => sb.close());
  const get = (url: string) => sb.engine.http!.inject({ method: 'GET', url });

  const index = await get('/');
  t.is(index.statusCode, 200);
  t.is(index.headers['content-type'], 'text/html; charset=utf-8');
  t.is(index.headers['cache-control'], 'no-cache');
  t.regex(String(index.headers['content-security-policy']), /script-src 'self'; style-src 'self'/);
  t.regex(index.body, /<div id="app"><\/div>/);
  // Only external scripts and style sheets: nothing the CSP would refuse.
  t.notRegex(index.body, /<script(?![^>]*\bsrc=)[^>]*>/);
  t.notRegex(index.body, /\sstyle=/);

  const script = /src="(\/assets\/[^"]+\.js)"/.exec(index.body)![1]!;
  const js = await get(script);
  t.is(js.statusCode, 200);
  t.is(js.headers['content-type'], 'text/javascript; charset=utf-8');
  t.is(js.headers['cache-control'], 'public, max-age=31536000, immutable');
  const css = await get(/href="(\/assets\/[^"]+\.css)"/.exec(index.body)![1]!);
  t.is(css.headers['content-type'], 'text/css; charset=utf-8');

  const route = await get('/messages/01abc?status=dead');
  t.is(route.statusCode, 200);
  t.is(route.body, index.body);

  t.is((await get('/assets/missing.js')).statusCode, 404);
  for (const url of ['/api/nothing-here', '/api', '/fhir/no-channel/Patient']) {
    const res = await get(url);
    t.is(res.statusCode, 404, url);
    t.is(res.headers['content-type'], 'application/problem+json; charset=utf-8', url);
  }
  t.is((await get('/api/health')).json().status, 'up');
  t.is((await get('/api/messages')).statusCode, 401);
  t.is((await sb.engine.http!.inject({ method: 'POST', url: '/' })).statusCode, 404);
});

test('only files that were in the build are served, and a missing build says how to make it', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'sb-console-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await mkdir(path.join(dir, 'assets'));
  await writeFile(path.join(dir, 'index.html'), '<!doctype html><title>x</title>');
  await writeFile(path.join(dir, 'assets', 'a.js'), 'export {};');
  await writeFile(path.join(dir, '..', `${path.basename(dir)}-secret.txt`), 'not for the web');
  t.teardown(() => rm(path.join(dir, '..', `${path.basename(dir)}-secret.txt`), { force: true }));

  const app = Fastify();
  await app.register(consoleRoutes, { root: dir });
  t.is((await app.inject({ method: 'GET', url: '/assets/a.js' })).body, 'export {};');
  for (const url of [`/../${path.basename(dir)}-secret.txt`, `/assets/..%2f..%2f${path.basename(dir)}-secret.txt`, '/%2e%2e/etc/passwd']) {
    t.not((await app.inject({ method: 'GET', url })).body, 'not for the web', url);
  }

  const empty = Fastify();
  await empty.register(consoleRoutes, { root: path.join(dir, 'nothing') });
  const res = await empty.inject({ method: 'GET', url: '/' });
  t.is(res.statusCode, 404);
  t.regex(res.json().detail, /npm run build:ui/);
});
