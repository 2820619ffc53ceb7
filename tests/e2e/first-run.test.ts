/**
 * `npm start`'s demo (scripts/demo.ts) run as a person runs it: under a real terminal, made by
 * util-linux's `script`. The person gets a banner with the addresses and readable log lines; no
 * secret is ever printed, only the files the demo keeps them in (var/ of this checkout, as npm start).
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { waitFor } from '../support/harness.ts';
import { sharedMongoUrl, sharedRedisUrl, uniqueName } from '../support/services.ts';
import { REPO_ROOT } from '../support/shared.ts';

const ANSI = /\x1b\[[0-9;]*m/g;

test('npm start on a terminal: a banner naming the console, the sign-in, the MLLP port and the FHIR endpoint, readable log lines, no secret', async (t) => {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    REDIS_URL: sharedRedisUrl(),
    MONGODB_URL: sharedMongoUrl(),
    MONGODB_DB: uniqueName('sbfirstrun'),
    QUEUE_PREFIX: uniqueName('sbq'),
    HTTP_PORT: '0',
    MLLP_PORT: '0',
    ERP_BASE_URL: 'http://127.0.0.1:9',
  };
  // What a first run has: no secrets of its own, no format chosen.
  for (const key of ['LOG_FORMAT', 'NO_COLOR', 'FHIR_API_TOKEN', 'SWITCHBOARD_ADMIN_USER', 'SWITCHBOARD_ADMIN_PASSWORD']) delete env[key];
  const child = spawn('script', ['-qfec', `'${process.execPath}' --import tsx scripts/demo.ts`, '/dev/null'], { cwd: REPO_ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  for (const stream of [child.stdout, child.stderr]) stream.on('data', (c: Buffer) => (output += c.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  t.teardown(async () => {
    // script ends the demo (its terminal's session) when it is told to stop.
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  });
  // Without a banner the assertion below shows what was printed instead.
  await waitFor('the banner', () => output.includes('Stop it with Ctrl-C') || child.exitCode !== null, 120_000).catch(() => undefined);
  const text = output.replace(ANSI, '').replaceAll('\r', '');
  t.true(text.includes('Stop it with Ctrl-C'), text);

  const consoleUrl = /^ {2}Console +(http:\/\/127\.0\.0\.1:\d+\/)$/m.exec(text)?.[1];
  const mllpPort = Number(/^ {2}MLLP +port (\d+) \(channel ehr-mllp\)$/m.exec(text)?.[1]);
  const fhir = /^ {2}FHIR +(http:\/\/127\.0\.0\.1:\d+\/fhir\/ehr-fhir) +\(bearer token in var\/demo-fhir-token\)$/m.exec(text)?.[1];
  t.regex(text, /^ {2}Sign in +admin, password in var\/demo-admin-password$/m);
  t.truthy(consoleUrl, text);
  t.truthy(fhir, text);
  // The addresses are the ones the engine serves, and the password in the file named signs in.
  t.is((await fetch(`${consoleUrl}api/health`)).status, 200);
  t.is((await fetch(`${fhir}/metadata`)).status, 200);
  await new Promise<void>((resolve, reject) => net.connect(mllpPort, '127.0.0.1', function (this: net.Socket) { this.end(); resolve(); }).once('error', reject));
  const password = readFileSync(path.join(REPO_ROOT, 'var/demo-admin-password'), 'utf8').trim();
  const login = await fetch(`${consoleUrl}api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }) });
  t.is(login.status, 200);

  const started = text.split('\n').find((line) => line.includes('engine started'));
  t.truthy(started, text);
  t.throws(() => JSON.parse(started!) as unknown, { instanceOf: SyntaxError }, 'log lines on a terminal are not JSON');
  t.false(text.split('\n').some((line) => line.startsWith('{')), 'no JSON line on a terminal');
  const token = readFileSync(path.join(REPO_ROOT, 'var/demo-fhir-token'), 'utf8').trim();
  t.false(text.includes(password), 'the password is never printed');
  t.false(text.includes(token), 'the FHIR token is never printed');
});
