import test from 'ava';
import { readdir, readFile } from 'node:fs/promises';
import https from 'node:https';
import path from 'node:path';
import { hostAllowed, hostsIn, parseAllowList } from '../../engine/security/host-allowlist.ts';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { makeTestPki } from '../support/certs.ts';
import { startTestEngine, testChannel } from '../support/harness.ts';
import { REPO_ROOT } from '../support/shared.ts';

/** Source files of the rooms where messages and transforms run. */
async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(path.join(REPO_ROOT, dir), { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.ts')) out.push(path.join(entry.parentPath, entry.name));
  }
  return out;
}

test('no eval, Function constructor or vm where messages and transforms run', async (t) => {
  const files = (await Promise.all(['engine', 'transforms', 'connectors', 'channels'].map(sources))).flat();
  t.true(files.length > 50);
  const forbidden = [
    /\beval\s*\(/,
    /\bnew\s+Function\s*\(/,
    /\bFunction\s*\(\s*['"`]/,
    /from\s+['"](node:)?vm['"]/,
    /require\(\s*['"](node:)?vm['"]\s*\)/,
  ];
  const hits: string[] = [];
  for (const file of files) {
    const text = await readFile(file, 'utf8');
    for (const re of forbidden) if (re.test(text)) hits.push(`${path.relative(REPO_ROOT, file)}: ${re}`);
  }
  t.deepEqual(hits, []);
});

test('the destination host allow-list: names, addresses, wildcards; every URL and host field is checked', (t) => {
  const allow = parseAllowList('erp.example.org, *.billing.example.org,127.0.0.1,[::1]');
  t.true(hostAllowed('erp.example.org', allow));
  t.true(hostAllowed('eu.billing.example.org', allow));
  t.false(hostAllowed('billing.example.org.evil.net', allow));
  t.false(hostAllowed('169.254.169.254', allow));
  t.true(hostAllowed('[::1]', allow));
  t.deepEqual(
    hostsIn({
      baseUrl: 'https://erp.example.org/api',
      oauth2: { tokenUrl: 'https://login.example.net/token' },
      host: 'billing.local',
      note: 'not a url',
    }).sort(),
    ['billing.local', 'erp.example.org', 'login.example.net'],
  );
});

test('a channel whose destination names a host outside the allow-list does not start (no SSRF)', async (t) => {
  const channel = testChannel({ erpUrl: 'http://169.254.169.254/latest/meta-data' });
  const err = await t.throwsAsync(startTestEngine({ channels: [channel] }));
  t.regex(err!.message, /destination erp: host 169\.254\.169\.254 is not in ALLOWED_DESTINATION_HOSTS/);
});

test('alert notifications leave by the same allow-list: a webhook or SMTP host outside it stops the start', async (t) => {
  const channels = [testChannel({ erpUrl: 'http://127.0.0.1:9' })];
  const secret = 'a-webhook-secret-of-16+';
  const webhook = await t.throwsAsync(
    startTestEngine({ channels, config: { ALERT_WEBHOOK_URL: 'http://169.254.169.254/hook', ALERT_WEBHOOK_SECRET: secret } }),
  );
  t.regex(webhook!.message, /ALERT_WEBHOOK_URL: host 169\.254\.169\.254 is not in ALLOWED_DESTINATION_HOSTS/);
  const smtpConfig = { ALERT_SMTP_HOST: 'mail.example.org', ALERT_SMTP_TO: 'ops@example.org' };
  const smtp = await t.throwsAsync(startTestEngine({ channels, config: smtpConfig }));
  t.regex(smtp!.message, /ALERT_SMTP_HOST: host mail\.example\.org is not in ALLOWED_DESTINATION_HOSTS/);
});

test('with HTTPS_CERT_FILE and HTTPS_KEY_FILE the admin API speaks HTTPS only, with HSTS', async (t) => {
  const pki = makeTestPki();
  const erp = await startErpSimulator();
  t.teardown(() => erp.close());
  const sb = await startTestEngine({
    channels: [testChannel({ erpUrl: erp.url })],
    security: { HTTPS_CERT_FILE: pki.server.certFile, HTTPS_KEY_FILE: pki.server.keyFile },
  });
  t.teardown(() => sb.close());
  const port = sb.addresses.http!.port;
  const res = await new Promise<{ status: number; hsts: string | undefined; body: string }>((resolve, reject) => {
    https
      .get({ host: '127.0.0.1', port, path: '/api/health', ca: pki.ca }, (r) => {
        let body = '';
        r.on('data', (c: Buffer) => (body += c.toString()));
        r.on('end', () => resolve({ status: r.statusCode!, hsts: r.headers['strict-transport-security'], body }));
      })
      .on('error', reject);
  });
  t.is(res.status, 200);
  t.is(res.hsts, 'max-age=31536000; includeSubDomains');
  const plain = await fetch(`http://127.0.0.1:${port}/api/health`).then(
    (r) => r.status,
    () => 'refused',
  );
  t.not(plain, 200, 'plain HTTP is not served');
});
