/**
 * `npm start`'s demo (scripts/demo.ts) run as a person runs it: under a real terminal, made by
 * util-linux's `script`. The person gets a banner with the addresses and readable log lines; no
 * secret is ever printed, only the files the demo keeps them in (var/ of this checkout, as npm start).
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { waitFor } from '../support/harness.ts';
import { startDemo } from '../support/demo-process.ts';
import { REPO_ROOT } from '../support/shared.ts';

const ANSI = /\x1b\[[0-9;]*m/g;

test(
  'npm start on a terminal: a banner naming the console, the sign-in, ' +
    'the MLLP port and the FHIR endpoint, readable log lines, no secret',
  async (t) => {
    const demo = startDemo(t, { terminal: true, dbPrefix: 'sbfirstrun' });
    // Without a banner the assertion below shows what was printed instead.
    await waitFor('the banner', () => demo.output().includes('Stop it with Ctrl-C') || demo.exited(), 120_000).catch(() => undefined);
    const text = demo.output().replace(ANSI, '').replaceAll('\r', '');
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
    await new Promise<void>((resolve, reject) =>
      net
        .connect(mllpPort, '127.0.0.1', function (this: net.Socket) {
          this.end();
          resolve();
        })
        .once('error', reject),
    );
    const password = readFileSync(path.join(REPO_ROOT, 'var/demo-admin-password'), 'utf8').trim();
    const login = await fetch(`${consoleUrl}api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    });
    t.is(login.status, 200);

    const started = text.split('\n').find((line) => line.includes('engine started'));
    t.truthy(started, text);
    t.throws(() => JSON.parse(started!) as unknown, { instanceOf: SyntaxError }, 'log lines on a terminal are not JSON');
    t.false(
      text.split('\n').some((line) => line.startsWith('{')),
      'no JSON line on a terminal',
    );
    const token = readFileSync(path.join(REPO_ROOT, 'var/demo-fhir-token'), 'utf8').trim();
    t.false(text.includes(password), 'the password is never printed');
    t.false(text.includes(token), 'the FHIR token is never printed');
  },
);
