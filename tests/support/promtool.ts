import { spawn } from 'node:child_process';

/** What promtool printed and its exit code. */
export interface PromtoolResult {
  code: number;
  output: string;
}

/**
 * Runs Debian's `promtool` (package `prometheus`, installed by `scripts/services.sh start --for-tests`)
 * with `args`, writing `stdin` to it when given. A missing promtool rejects: a test that needs it
 * must fail, never pass without having checked anything.
 */
export function promtool(args: readonly string[], stdin?: string, cwd?: string): Promise<PromtoolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', args, { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'ENOENT'
          ? new Error("promtool is missing: install Debian's prometheus package (bash scripts/services.sh start --for-tests does)")
          : err,
      ),
    );
    child.on('close', (code) => resolve({ code: code ?? -1, output }));
    child.stdin.end(stdin ?? '');
  });
}
