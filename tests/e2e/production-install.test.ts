/**
 * What the Docker image runs (Dockerfile), without Docker: the same build (`npm run build`,
 * `npm run build:ui`), production dependencies only (`npm ci --omit=dev`) in a directory outside
 * the checkout, with the dependency patches (patches/, applied by patch-package at install), and
 * the image's entry point `node dist/engine/main.js`. A runtime import of a
 * devDependency fails here as it would in the image: ERR_MODULE_NOT_FOUND.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { spawnEngine } from '../support/engine-process.ts';
import { sharedMongoUrl, sharedRedisUrl } from '../support/services.ts';
import { uniqueName } from '../../scripts/lib/unique-name.ts';
import { REPO_ROOT } from '../support/shared.ts';

const run = promisify(execFile);
const NPM_FLAGS = ['--prefer-offline', '--no-audit', '--no-fund'];

/** Runs a command; its output is kept only for the error when it fails. */
async function sh(cwd: string, command: string, args: string[]): Promise<void> {
  await run(command, args, { cwd, maxBuffer: 32 * 1024 * 1024, env: { ...process.env, npm_config_update_notifier: 'false' } });
}

/** Package names of every import of a module not in the build and not Node's own, by the files importing them. */
async function bareImports(dist: string): Promise<Map<string, string[]>> {
  const found = new Map<string, string[]>();
  for (const file of await readdir(dist, { recursive: true })) {
    if (!file.endsWith('.js')) continue;
    for (const { fileName } of ts.preProcessFile(await readFile(path.join(dist, file), 'utf8'), true, true).importedFiles) {
      if (fileName.startsWith('.') || fileName.startsWith('node:')) continue;
      found.set(fileName, [...(found.get(fileName) ?? []), file]);
    }
  }
  return found;
}

test('the production install (npm ci --omit=dev) of the build starts: health answers 200 and the console is served', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'switchboard-production-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  // Outside the checkout, so that no node_modules above supplies what the install lacks.
  for (let up = dir; up !== path.dirname(up); up = path.dirname(up))
    t.false(existsSync(path.join(path.dirname(up), 'node_modules')), `node_modules above ${dir}`);

  const dist = path.join(dir, 'dist');
  await sh(REPO_ROOT, 'npm', ['run', '--silent', 'build', '--', '--outDir', dist]);
  for (const dev of ['peers', 'tests', 'bench', 'scripts']) {
    t.false(existsSync(path.join(dist, dev)), `dist/${dev}: the build holds the engine only`);
  }
  await sh(REPO_ROOT, 'npm', [
    'run',
    '--silent',
    'build:ui',
    '--',
    '--outDir',
    path.join(dist, 'admin-ui/dist'),
    '--emptyOutDir',
    '--logLevel',
    'warn',
  ]);
  for (const file of ['package.json', 'package-lock.json']) await copyFile(path.join(REPO_ROOT, file), path.join(dir, file));
  await cp(path.join(REPO_ROOT, 'patches'), path.join(dir, 'patches'), { recursive: true });
  await sh(dir, 'flock', ['/tmp/npm.lock', 'npm', 'ci', '--omit=dev', ...NPM_FLAGS]);
  // patch-package (postinstall) mends the MongoDB driver in the production install too (patches/).
  const driverConnection = await readFile(path.join(dir, 'node_modules/mongodb/lib/cmap/connection.js'), 'utf8');
  t.true(driverConnection.includes('Patched (Switchboard, patches/)'), 'the MongoDB driver patch is applied');

  // Every package the build imports, on any path (not only the start's), loads from the production install.
  const imports = await bareImports(dist);
  t.true(imports.has('fastify') && imports.has('mongodb'), "the scan finds the build's imports");
  const probe = 'for (const s of JSON.parse(process.argv[1])) await import(s).catch((e) => { console.log(s); process.exitCode = 1; });';
  const missing = await run(process.execPath, ['--input-type=module', '-e', probe, JSON.stringify([...imports.keys()])], {
    cwd: dist,
  }).then(
    () => [],
    (err: { stdout: string }) => err.stdout.split('\n').filter(Boolean),
  );
  t.deepEqual(
    missing.map((s) => `${s} (imported by ${imports.get(s)?.join(', ')})`),
    [],
    'imports that do not load with production dependencies only: they belong in "dependencies"',
  );

  const engine = await spawnEngine(
    {
      NODE_ENV: 'production',
      REDIS_URL: sharedRedisUrl(),
      MONGODB_URL: sharedMongoUrl(),
      MONGODB_DB: uniqueName('sbprod'),
      QUEUE_PREFIX: uniqueName('sbq'),
      ERP_BASE_URL: 'http://127.0.0.1:9',
      FHIR_API_TOKEN: 'production-install-test-token',
    },
    [],
    // The image's entry point and nothing of this process's environment (no tsx loader, no NODE_OPTIONS).
    { cwd: dir, argv: ['dist/engine/main.js'], baseEnv: { PATH: process.env.PATH } },
  );
  t.teardown(() => engine.kill('SIGTERM'));
  const health = await fetch(`http://127.0.0.1:${engine.httpPort}/api/health`);
  t.is(health.status, 200, await health.text());
  const page = await fetch(`http://127.0.0.1:${engine.httpPort}/`);
  t.is(page.status, 200);
  t.regex(page.headers.get('content-type') ?? '', /^text\/html/);
  t.true(engine.mllpPort > 0, 'the MLLP channel listens');
});
