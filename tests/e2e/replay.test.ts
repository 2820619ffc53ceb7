import test from 'ava';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, testChannel, waitFor } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';
import { uniqueName } from '../../scripts/lib/unique-name.ts';
import { userSession } from '../support/users.ts';
import { transforms as shipped } from '../../transforms/index.ts';
import { defineTransform, required } from '../../transforms/dsl/define-transform.ts';
import { constant, hl7 } from '../../transforms/dsl/expression.ts';
import { EncounterEventV1 } from '../../transforms/canonical/encounter-event.ts';

const adt = (id: string) =>
  `MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315083000||ADT^A01|${id}|P|2.5.1\r` +
  `EVN|A01|20260315083000\rPID|1||4711^^^GENHOSP^MR||ROE^RITA\rPV1|1|I|4W${'|'.repeat(16)}V${id}\r`;

test(
  'dead letters are listed and counted; a dry run shows the transform ' + 'change; the replay delivers and is recorded with who and why',
  async (t) => {
    const erp = await startErpSimulator();
    t.teardown(() => erp.close());
    const shared = { dbName: uniqueName('sbreplay'), prefix: uniqueName('sbq') };
    erp.setBehaviour({ mode: 'fail', status: 400, times: -1, body: { error: 'facility code missing' } });
    const before = await startTestEngine({ channels: [testChannel({ erpUrl: erp.url })], ...shared });
    const client = await MllpTestClient.connect(before.mllpPort);
    for (const id of ['RP1', 'RP2']) t.is(field(await client.send(adt(id)), 'MSA', 1), 'AA');
    client.close();
    await waitFor('both dead', async () => (await before.engine.store!.messages.list({ status: 'dead', limit: 5 })).length === 2);
    await before.close();

    // The fix: the ERP wants a facility, so the transform now sends one (version 3).
    const adtFixed = shipped.get('hl7v2.adt-to-encounter')!;
    const fixed = defineTransform({
      id: adtFixed.id,
      version: 3,
      description: 'sends a default facility',
      model: EncounterEventV1,
      accepts: { hl7: [...adtFixed.accepts] },
      fields: {
        eventType: required(constant('admit')),
        occurredAt: required(constant('2026-03-15T08:30:00')),
        'encounter.visitNumber': required(hl7('PV1-19.1')),
        'encounter.patientClass': required(hl7('PV1-2')),
        'encounter.location': hl7('PV1-3.1'),
        'encounter.facility': required(constant('GENHOSP')),
        'patient.mrn': required(hl7('PID-3.1')),
      },
    });
    const after = await startTestEngine({
      channels: [testChannel({ erpUrl: erp.url })],
      ...shared,
      transforms: new Map([...shipped, [fixed.id, fixed]]),
    });
    t.teardown(() => after.close());
    const session = await userSession(after, { username: 'sam.support', role: 'support', phi: true });
    const http = (method: 'GET' | 'POST', url: string, payload?: object) =>
      after.engine.http!.inject({ method, url, headers: session, ...(payload ? { payload } : {}) });

    const dead = (await http('GET', '/api/deliveries/dead?destination=erp')).json();
    t.is(dead.total, 2);
    t.is(dead.items[0].lastError.code, 'PEER_REJECTED');
    t.regex(dead.items[0].lastError.response, /facility code missing/);
    t.is(
      (await http('GET', '/api/messages?errorCode=PEER_REJECTED&destination=erp')).json().items.length,
      2,
      'a delivery error is searchable',
    );
    t.deepEqual((await http('GET', '/api/deliveries/dead/counts')).json().items, [
      { destinationId: 'erp', errorCode: 'PEER_REJECTED', count: 2 },
    ]);

    const noReason = await http('POST', '/api/replays', { filter: { destination: 'erp' }, reason: '', dryRun: true });
    t.is(noReason.statusCode, 400);

    const dry = (
      await http('POST', '/api/replays', {
        filter: { destination: 'erp', errorCode: 'PEER_REJECTED' },
        reason: 'ERP needs the facility code',
        dryRun: true,
      })
    ).json();
    t.is(dry.deliveries, 2);
    t.deepEqual(dry.changes[0].transformVersions, { before: ['hl7v2.adt-to-encounter@2'], after: ['hl7v2.adt-to-encounter@3'] });
    t.deepEqual(
      dry.changes[0].diff.find((d: { path: string }) => d.path === '[0].encounter.facility'),
      { path: '[0].encounter.facility', after: 'GENHOSP' },
    );
    t.is(erp.postings().length, 0, 'a dry run sends nothing');
    t.is((await after.engine.store!.messages.list({ status: 'dead', limit: 5 })).length, 2, 'and changes nothing');

    erp.setBehaviour({ mode: 'ok' });
    const real = await http('POST', '/api/replays', {
      filter: { destination: 'erp' },
      reason: 'ERP needs the facility code',
      dryRun: false,
    });
    t.is(real.statusCode, 202);
    await waitFor('both delivered', async () => (await after.engine.store!.messages.list({ status: 'delivered', limit: 5 })).length === 2);
    t.true(erp.postings().every((p) => (p.body as { event: { encounter: { facility?: string } } }).event.encounter.facility === 'GENHOSP'));
    t.is(real.headers.location, `/api/replays/${real.json().replayId}`);
    t.like(real.json(), { dryRun: false, state: 'running', deliveries: 2 });
    const recorded = await waitFor('the replay done', async () => {
      const r = (await http('GET', real.headers.location as string)).json();
      return r.state === 'done' ? r : undefined;
    });
    t.is(recorded.requestedBy, 'sam.support');
    t.is(recorded.reason, 'ERP needs the facility code');
    t.deepEqual(recorded.progress, { selected: 2, replayed: 2, refused: 0, skipped: 0 });
    t.deepEqual(
      recorded.deliveries.map((d: { idempotencyKey: string }) => d.idempotencyKey).sort(),
      erp
        .postings()
        .map((p) => p.idempotencyKey)
        .sort(),
      'dead deliveries keep their keys',
    );
    const listed = (await http('GET', '/api/replays')).json().items;
    t.deepEqual(
      listed.map((r: { dryRun: boolean; state: string }) => [r.dryRun, r.state]),
      [
        [false, 'done'],
        [true, 'done'],
      ],
    );
    const [m] = await after.engine.store!.messages.list({ controlId: 'RP1', limit: 1 });
    const full = await after.engine.store!.messages.get(m!._id);
    const audited = (
      await after.engine.http!.inject({ method: 'GET', url: '/api/audit?action=replay', headers: after.adminHeaders })
    ).json().items;
    t.deepEqual(
      audited.map((e: { actor: string; details: { reason: string; dryRun: boolean } }) => [e.actor, e.details.reason, e.details.dryRun]),
      [
        ['sam.support', 'ERP needs the facility code', false],
        ['sam.support', 'ERP needs the facility code', true],
      ],
    );
    t.deepEqual(
      full!.deliveries.erp!.attempts.map((a) => [a.outcome, a.attempt, a.replayId === undefined]),
      [
        ['permanent', 1, true],
        ['delivered', 1, false],
      ],
    );
  },
);
