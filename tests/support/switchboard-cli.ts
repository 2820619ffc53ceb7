import { execFile } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from './shared.ts';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real command line, `bin/switchboard.js args`, in a child process with the test's
 * environment and `env` over it; keys of `unset` are removed first (settings a test must not inherit).
 */
export function switchboard(args: readonly string[], env: Record<string, string>, unset: readonly string[] = []): Promise<CliRun> {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const key of unset) delete base[key];
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(REPO_ROOT, 'bin/switchboard.js'), ...args], { env: { ...base, ...env } }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}
