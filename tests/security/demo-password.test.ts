/**
 * Issue 20, finding 13: the demo printed the administrator's password to its log. `npm start`'s
 * demo (scripts/demo.ts) run as a container, systemd or a pipe runs it: standard output and error
 * not terminals. Its output names var/demo-admin-password and never holds the password (nor the
 * FHIR token kept beside it), on any line.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { waitFor } from '../support/harness.ts';
import { startDemo } from '../support/demo-process.ts';
import { REPO_ROOT } from '../support/shared.ts';

test(
  'the demo with its output piped: the log points at var/demo-admin-password and never prints the ' + 'password or the FHIR token',
  async (t) => {
    // A first run, stdout and stderr pipes (JSON lines).
    const demo = startDemo(t, { terminal: false, dbPrefix: 'sbdemopw' });
    await waitFor('the engine started', () => demo.output().includes('engine started') || demo.exited(), 120_000).catch(() => undefined);
    const output = demo.output();
    t.true(output.includes('engine started'), output);

    const password = readFileSync(path.join(REPO_ROOT, 'var/demo-admin-password'), 'utf8').trim();
    t.true(password.length >= 16, 'the demo keeps a password in the file');
    t.false(output.includes(password), 'the password is nowhere in the output');
    const token = readFileSync(path.join(REPO_ROOT, 'var/demo-fhir-token'), 'utf8').trim();
    t.false(output.includes(token), 'the FHIR token is nowhere in the output');
    t.true(output.includes('var/demo-admin-password'), 'the output points at the file instead');
    t.false(output.includes('Stop it with Ctrl-C'), 'no banner when stdout is not a terminal');
  },
);
