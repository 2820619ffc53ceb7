import test from 'ava';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, testChannel, waitFor, type TestEngine } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';
import { sharedMongoUrl } from '../support/services.ts';
import { uniqueName } from '../../scripts/lib/unique-name.ts';
import { REPO_ROOT } from '../support/shared.ts';
import { transforms as shipped } from '../../transforms/index.ts';
import { defineTransform, required } from '../../transforms/dsl/define-transform.ts';
import { constant, hl7 } from '../../transforms/dsl/expression.ts';
import { EncounterEventV1 } from '../../transforms/canonical/encounter-event.ts';

// Every command runs as `switchboard …` in a child process, against the store and queues of an engine.

type Run = { code: number; stdout: string; stderr: string };

/** Runs `bin/switchboard.js args` on `sb`'s store and queues, with `input` on standard input. */
function cli(sb: TestEngine, args: string[], input = ''): Promise<Run> {
  const env = {
    ...process.env,
    MONGODB_URL: sharedMongoUrl(),
    MONGODB_DB: sb.config.MONGODB_DB,
    REDIS_URL: sb.config.REDIS_URL,
    QUEUE_PREFIX: sb.config.QUEUE_PREFIX,
  };
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [path.join(REPO_ROOT, 'bin/switchboard.js'), ...args], { env }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
    child.stdin!.end(input);
  });
}

const auditOf = async (sb: TestEngine, action: string) =>
  (await sb.engine.http!.inject({ method: 'GET', url: `/api/audit?action=${action}`, headers: sb.adminHeaders })).json().items as {
    actor: string;
    target?: string;
    details?: Record<string, unknown>;
  }[];

const login = (sb: TestEngine, username: string, password: string) =>
  sb.engine.http!.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });

const adt = (id: string) =>
  `MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315083000||ADT^A01|${id}|P|2.5.1\r` +
  `EVN|A01|20260315083000\rPID|1||4711^^^GENHOSP^MR||ROE^RITA\rPV1|1|I|4W${'|'.repeat(16)}V${id}\r`;

/** An earlier ADT transform (version 1) that sent a fixed location; the shipped one (version 2) sends PV1-3. */
const earlierAdt = defineTransform({
  id: 'hl7v2.adt-to-encounter',
  version: 1,
  description: 'sends a fixed location',
  model: EncounterEventV1,
  accepts: { hl7: [...shipped.get('hl7v2.adt-to-encounter')!.accepts] },
  fields: {
    eventType: required(constant('admit')),
    occurredAt: required(constant('2026-03-15T08:30:00')),
    'encounter.visitNumber': required(hl7('PV1-19.1')),
    'encounter.patientClass': required(hl7('PV1-2')),
    'encounter.location': constant('OLD-WARD'),
    'patient.mrn': required(hl7('PID-3.1')),
  },
});

test(
  'deliveries dead lists with filters; replay --dry-run changes nothing and ' +
    'prints the diff; replay --reason delivers with progress and is audited',
  async (t) => {
    const erp = await startErpSimulator();
    t.teardown(() => erp.close());
    erp.setBehaviour({ mode: 'fail', status: 400, times: -1, body: { error: 'facility code missing' } });
    const sb = await startTestEngine({
      channels: [testChannel({ erpUrl: erp.url })],
      dbName: uniqueName('sbsupportcli'),
      transforms: new Map([...shipped, [earlierAdt.id, earlierAdt]]),
    });
    t.teardown(() => sb.close());
    const client = await MllpTestClient.connect(sb.mllpPort);
    for (const id of ['SC1', 'SC2']) t.is(field(await client.send(adt(id)), 'MSA', 1), 'AA');
    client.close();
    await waitFor('both dead', async () => (await sb.engine.store!.messages.list({ status: 'dead', limit: 5 })).length === 2);

    const dead = await cli(sb, ['deliveries', 'dead', '--destination', 'erp', '--json']);
    t.is(dead.code, 0, dead.stderr);
    const listed = JSON.parse(dead.stdout) as {
      total: number;
      items: { destinationId: string; lastError: { code: string }; summary: { mrn: string } }[];
    };
    t.is(listed.total, 2);
    t.like(listed.items[0], { destinationId: 'erp', lastError: { code: 'PEER_REJECTED' } });
    t.not(listed.items[0]!.summary.mrn, '4711', 'the command line has no PHI permission: MRNs masked');
    t.is(
      JSON.parse((await cli(sb, ['deliveries', 'dead', '--error', 'PEER_TIMEOUT', '--json'])).stdout).total,
      0,
      'filtered by error code',
    );
    t.is(
      JSON.parse((await cli(sb, ['deliveries', 'dead', '--channel', 'no-such-channel', '--json'])).stdout).total,
      0,
      'filtered by channel',
    );
    const asTable = await cli(sb, ['deliveries', 'dead', '--channel', 'ehr-mllp', '--limit', '1']);
    t.regex(
      asTable.stdout,
      new RegExp(
        /^MESSAGE +RECEIVED +CHANNEL +DESTINATION +ATTEMPTS +ERROR +DETAIL\n/.source +
          /\S+ +\S+ +ehr-mllp +erp +1 +PEER_REJECTED .*\n1 of 2 dead deliveries\n$/.source,
      ),
    );

    t.is((await cli(sb, ['replay', '--destination', 'erp'])).code, 2, 'a real replay needs a reason');
    const dry = await cli(sb, ['replay', '--destination', 'erp', '--error', 'PEER_REJECTED', '--dry-run']);
    t.is(dry.code, 0, dry.stderr);
    t.regex(dry.stdout, /dry run \S+: 2 deliveries selected, 0 refused; nothing was changed/);
    t.regex(dry.stdout, /erp +hl7v2\.adt-to-encounter@1 -> hl7v2\.adt-to-encounter@2 +\d+: .*\[0\]\.encounter\.location/);
    t.regex(dry.stdout, /2 of 2 listed would be sent differently/);
    t.false(dry.stdout.includes('OLD-WARD'), 'paths only, no values');
    t.is((await sb.engine.store!.messages.list({ status: 'dead', limit: 5 })).length, 2, 'a dry run changes nothing');
    t.is(erp.postings().length, 0, 'and sends nothing');

    erp.setBehaviour({ mode: 'ok' });
    const real = await cli(sb, ['replay', '--destination', 'erp', '--reason', 'ERP takes the location again', '--actor', 'sam']);
    t.is(real.code, 0, real.stderr);
    t.regex(real.stderr, /replay \S+ started: 2 deliveries selected/);
    t.regex(real.stderr, /\[#+\] 100% 2\/2 replayed, 0 refused, 0 skipped, done/, 'progress as plain lines without a terminal');
    t.regex(real.stdout, /replay \S+ done: 2 replayed, 0 refused, 0 skipped of 2/);
    await waitFor('both delivered', async () => (await sb.engine.store!.messages.list({ status: 'delivered', limit: 5 })).length === 2);
    t.deepEqual(
      erp.postings().map((p) => (p.body as { event: { encounter: { location: string } } }).event.encounter.location),
      ['4W', '4W'],
      'sent as the current transform makes them',
    );
    const audited = await auditOf(sb, 'replay');
    t.deepEqual(
      audited.map((e) => [e.actor, e.details!.reason, e.details!.dryRun, e.details!.deliveries]),
      [
        ['cli:sam', 'ERP takes the location again', false, 2],
        [audited[1]!.actor, 'dry run from the command line', true, 2],
      ],
    );
    t.regex(audited[1]!.actor, /^cli:/);
  },
);

test(
  'users add, reset-password, disable and enable through the CLI decide ' +
    'who can sign in to the API; audited as the CLI, passwords never',
  async (t) => {
    const sb = await startTestEngine({ channels: [] });
    t.teardown(() => sb.close());

    const added = await cli(sb, ['users', 'add', 'carol', '--role', 'support', '--channels', 'ehr-mllp', '--json', '--actor', 'ops']);
    t.is(added.code, 0, added.stderr);
    const { user, password } = JSON.parse(added.stdout) as {
      user: { username: string; role: string; channels: string[] };
      password: string;
    };
    t.like(user, { username: 'carol', role: 'support', channels: ['ehr-mllp'] });
    const first = await login(sb, 'carol', password);
    t.is(first.statusCode, 200, 'the generated password signs in');
    const session = { cookie: String(first.headers['set-cookie']).split(';')[0]! };
    t.is((await sb.engine.http!.inject({ method: 'GET', url: '/api/auth/me', headers: session })).statusCode, 200);
    t.is((await cli(sb, ['users', 'add', 'carol', '--role', 'support'])).code, 1, 'an existing user is refused');

    const reset = await cli(sb, ['users', 'reset-password', 'carol', '--password-stdin', '--actor', 'ops'], 'a brand new passphrase\n');
    t.is(reset.code, 0, reset.stderr);
    t.false(reset.stdout.includes('a brand new passphrase'), 'a password given on standard input is not printed');
    t.is((await login(sb, 'carol', password)).statusCode, 401, 'the old password is refused');
    t.is(
      (await sb.engine.http!.inject({ method: 'GET', url: '/api/auth/me', headers: session })).statusCode,
      401,
      'and the old session ended',
    );
    t.is((await login(sb, 'carol', 'a brand new passphrase')).statusCode, 200, 'the new one works');
    t.is((await cli(sb, ['users', 'reset-password', 'carol', '--password-stdin'], 'short')).code, 1, 'the password policy holds');

    const generated = await cli(sb, ['users', 'reset-password', 'carol']);
    const newPassword = /password \(shown this once\): (\S+)/.exec(generated.stdout)?.[1];
    t.truthy(newPassword);
    const later = await login(sb, 'carol', newPassword!);
    t.is(later.statusCode, 200);

    t.is((await cli(sb, ['users', 'disable', 'carol', '--actor', 'ops'])).code, 0);
    t.is((await login(sb, 'carol', newPassword!)).statusCode, 401, 'a disabled user cannot sign in');
    t.is(
      (
        await sb.engine.http!.inject({
          method: 'GET',
          url: '/api/auth/me',
          headers: { cookie: String(later.headers['set-cookie']).split(';')[0]! },
        })
      ).statusCode,
      401,
      'and their sessions ended',
    );
    t.is((await cli(sb, ['users', 'enable', 'carol'])).code, 0);
    t.is((await login(sb, 'carol', newPassword!)).statusCode, 200, 'enabled again');
    t.is((await cli(sb, ['users', 'disable', 'nobody'])).code, 1, 'an unknown user');

    const created = await auditOf(sb, 'user.create');
    t.deepEqual(
      created.filter((e) => e.target === 'user:carol').map((e) => e.actor),
      ['cli:ops'],
    );
    const updates = (await auditOf(sb, 'user.update')).filter((e) => e.target === 'user:carol').reverse();
    t.deepEqual(
      updates.map((e) => [e.actor, (e.details!.diff as { field: string }[]).map((d) => d.field)]),
      [
        ['cli:ops', ['password']],
        [updates[1]!.actor, ['password']],
        ['cli:ops', ['disabled']],
        [updates[3]!.actor, ['disabled']],
      ],
    );
    t.true(updates.every((e) => e.actor.startsWith('cli:')));
    const everything = JSON.stringify(await sb.engine.audit!.list({ limit: 1000 }));
    t.false(
      everything.includes(password) || everything.includes('a brand new passphrase') || everything.includes(newPassword!),
      'no password in the audit log',
    );
  },
);

test('tokens create --role monitor prints a token that reads /metrics and is refused the admin API', async (t) => {
  const sb = await startTestEngine({ channels: [] });
  t.teardown(() => sb.close());
  const made = await cli(sb, ['tokens', 'create', '--role', 'monitor', '--name', 'prometheus', '--json']);
  t.is(made.code, 0, made.stderr);
  const { token, user, id } = JSON.parse(made.stdout) as { token: string; user: string; id: string };
  t.is(user, 'monitor');
  t.regex(token, /^sbt_/);
  const bearer = { authorization: `Bearer ${token}` };
  t.is((await sb.engine.http!.inject({ method: 'GET', url: '/metrics', headers: bearer })).statusCode, 200, 'a monitor reads the metrics');
  t.is(
    (await sb.engine.http!.inject({ method: 'GET', url: '/api/users', headers: bearer })).statusCode,
    403,
    'and nothing an administrator may',
  );
  t.is((await sb.engine.http!.inject({ method: 'GET', url: '/api/messages', headers: bearer })).statusCode, 403);
  t.is((await cli(sb, ['tokens', 'create', '--role', 'admin', '--user', 'monitor'])).code, 1, 'a token acts with its user’s role');
  const second = await cli(sb, ['tokens', 'create', '--user', 'monitor']);
  t.is(second.code, 0, second.stderr);
  t.regex(second.stdout, /^token \S+ \(created with the command line\) for user monitor, shown this once:\nsbt_\S+\n$/);
  const audited = await auditOf(sb, 'token.create');
  t.true(
    audited.some(
      (e) => e.target === `token:${id}` && e.actor.startsWith('cli:') && e.details!.user === 'monitor' && e.details!.name === 'prometheus',
    ),
  );
  t.false(JSON.stringify(audited).includes(token), 'the token itself is never audited');
  t.true(
    (await auditOf(sb, 'user.create')).some((e) => e.target === 'user:monitor' && e.actor.startsWith('cli:')),
    'the service user’s creation is audited',
  );
});
