import { spawn } from 'node:child_process';
import { sharedMongoUrl, sharedRedisUrl } from './services.ts';
import { uniqueName } from '../../scripts/lib/unique-name.ts';
import { REPO_ROOT } from './shared.ts';

/**
 * `npm start`'s demo (scripts/demo.ts) as a first run has it: the shared services, a database and
 * queue prefix of its own, ports 0, and no secret or log format of its own in the environment.
 * With `terminal`, under a real terminal made by util-linux's `script`; else with its output piped.
 * `output()` is everything it printed so far; the test's teardown stops it.
 */
export function startDemo(
  t: { teardown(fn: () => unknown): void },
  o: { terminal: boolean; dbPrefix: string },
): { output(): string; exited(): boolean } {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    REDIS_URL: sharedRedisUrl(),
    MONGODB_URL: sharedMongoUrl(),
    MONGODB_DB: uniqueName(o.dbPrefix),
    QUEUE_PREFIX: uniqueName('sbq'),
    HTTP_PORT: '0',
    MLLP_PORT: '0',
    ERP_BASE_URL: 'http://127.0.0.1:9',
  };
  for (const key of ['LOG_FORMAT', 'NO_COLOR', 'FHIR_API_TOKEN', 'SWITCHBOARD_ADMIN_USER', 'SWITCHBOARD_ADMIN_PASSWORD']) delete env[key];
  const child = o.terminal
    ? spawn('script', ['-qfec', `'${process.execPath}' --import tsx scripts/demo.ts`, '/dev/null'], {
        cwd: REPO_ROOT,
        env,
        stdio: ['pipe', 'pipe', 'pipe'],
      })
    : spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  for (const stream of [child.stdout, child.stderr]) stream.on('data', (c: Buffer) => (output += c.toString('utf8')));
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  t.teardown(async () => {
    // Under `script`, SIGTERM ends the demo too (its terminal's session).
    if (!exited()) child.kill('SIGTERM');
    await closed;
  });
  return { output: () => output, exited };
}
