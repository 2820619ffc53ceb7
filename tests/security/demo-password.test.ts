/**
 * Issue 20, finding 13: the demo printed the administrator's password to its log. `npm start`'s
 * demo (scripts/demo.ts) run as a container, systemd or a pipe runs it: standard output and error
 * not terminals. Its output names var/demo-admin-password and never holds the password (nor the
 * FHIR token kept beside it), on any line.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { waitFor } from '../support/harness.ts';
import { sharedMongoUrl, sharedRedisUrl, uniqueName } from '../support/services.ts';
import { REPO_ROOT } from '../support/shared.ts';

test('the demo with its output piped: the log points at var/demo-admin-password and never prints the password or the FHIR token', async (t) => {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    REDIS_URL: sharedRedisUrl(),
    MONGODB_URL: sharedMongoUrl(),
    MONGODB_DB: uniqueName('sbdemopw'),
    QUEUE_PREFIX: uniqueName('sbq'),
    HTTP_PORT: '0',
    MLLP_PORT: '0',
    ERP_BASE_URL: 'http://127.0.0.1:9',
  };
  // A first run: no credentials of its own, no log format chosen (JSON lines, as stderr is a pipe).
  for (const key of ['LOG_FORMAT', 'FHIR_API_TOKEN', 'SWITCHBOARD_ADMIN_USER', 'SWITCHBOARD_ADMIN_PASSWORD']) delete env[key];
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  for (const stream of [child.stdout, child.stderr]) stream.on('data', (c: Buffer) => (output += c.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  });
  await waitFor('the engine started', () => output.includes('engine started') || child.exitCode !== null, 120_000).catch(() => undefined);
  t.true(output.includes('engine started'), output);

  const password = readFileSync(path.join(REPO_ROOT, 'var/demo-admin-password'), 'utf8').trim();
  t.true(password.length >= 16, 'the demo keeps a password in the file');
  t.false(output.includes(password), 'the password is nowhere in the output');
  const token = readFileSync(path.join(REPO_ROOT, 'var/demo-fhir-token'), 'utf8').trim();
  t.false(output.includes(token), 'the FHIR token is nowhere in the output');
  t.true(output.includes('var/demo-admin-password'), 'the output points at the file instead');
  t.false(output.includes('Stop it with Ctrl-C'), 'no banner when stdout is not a terminal');
});
