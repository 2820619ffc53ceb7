import test from 'ava';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { waitFor } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';
import { sharedMongoUrl, sharedRedisUrl } from '../support/services.ts';
import { uniqueName } from '../../scripts/lib/unique-name.ts';
import { spawnEngine } from '../support/engine-process.ts';
import { mongoInsertCommand, TcpProxy } from '../support/tcp-proxy.ts';
import { Store } from '../../engine/store/store.ts';

/** Settings for an engine process of its own: a fresh database and queue prefix, a quick relay. */
const engineEnv = (erpUrl: string) => ({
  REDIS_URL: sharedRedisUrl(),
  MONGODB_URL: sharedMongoUrl(),
  MONGODB_DB: uniqueName('sbcrash'),
  QUEUE_PREFIX: uniqueName('sbq'),
  ERP_BASE_URL: erpUrl,
  FHIR_API_TOKEN: 'crash-test-token',
  RELAY_INTERVAL_MS: '200',
  RELAY_STALE_MS: '500',
});

const admit = (controlId: string, visit: string) =>
  `MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315083000||ADT^A01^ADT_A01|${controlId}|P|2.5.1\r` +
  'EVN|A01|20260315083000\rPID|1||55501^^^GENHOSP^MR||DOE^JOHN\r' +
  `PV1|1|I|4W||||||||||||||||${visit}\r`;

/**
 * An engine process whose store path goes through a TcpProxy (so the test can hold its writes),
 * an ERP that is down (nothing is delivered before the kill), and the store as the test reads it.
 */
async function heldStoreEngine(t: { teardown(fn: () => unknown): void }) {
  const erp = await startErpSimulator({ port: 0 });
  erp.setBehaviour({ mode: 'fail', status: 503, times: -1 });
  const env = engineEnv(erp.url);
  const proxy = await TcpProxy.start(TcpProxy.targetOf(sharedMongoUrl()));
  // A slow relay: nothing but intake uses the store path while it is held.
  const first = await spawnEngine({ ...env, MONGODB_URL: proxy.via(sharedMongoUrl()), RELAY_INTERVAL_MS: '600000' });
  const store = new Store({ url: sharedMongoUrl(), dbName: env.MONGODB_DB });
  await store.start();
  t.teardown(async () => (await first.kill(), await proxy.close(), await store.close(), await erp.close()));
  const client = await MllpTestClient.connect(first.mllpPort);
  t.teardown(() => client.close());
  /**
   * Sends while the store path is held, until the insert is held in the proxy; `answer` settles with the ACK, or undefined
   * when the connection closed without one.
   */
  const sendHeld = async (message: string) => {
    let answered = false;
    proxy.pause(mongoInsertCommand('messages'));
    const answer = client.send(message).then(
      (ack) => ((answered = true), ack),
      () => undefined,
    );
    await proxy.held(mongoInsertCommand('messages'));
    return { answer, answeredYet: () => answered };
  };
  const restart = async () => {
    erp.setBehaviour({ mode: 'ok' });
    const second = await spawnEngine(env);
    t.teardown(() => second.kill('SIGTERM'));
    return second;
  };
  return { erp, proxy, store, first, sendHeld, restart };
}

test(
  'the store slowed under an HL7 message: no AA while its insert is ' +
    'held; SIGKILL right after the AA, restart: stored and delivered once',
  async (t) => {
    const { erp, proxy, store, first, sendHeld, restart } = await heldStoreEngine(t);
    const { answer, answeredYet } = await sendHeld(admit('KILL0001', 'VKILL1'));
    t.false(answeredYet(), 'no ACK while the insert has not reached the store');
    proxy.resume();
    const ack = await answer;
    await first.kill('SIGKILL');
    t.is(ack && field(ack, 'MSA', 1), 'AA');
    t.is(erp.postings().length, 0);
    const [stored] = await store.messages.list({ controlId: 'KILL0001', limit: 1 });
    t.truthy(stored, 'an AA means the message is stored');

    const second = await restart();
    const posting = await waitFor('delivery after restart', () => erp.postings()[0], 60_000);
    t.is(posting.idempotencyKey, `${stored!._id}:erp`);
    t.is(erp.postings().length, 1);
    t.false(
      [...first.lines, ...second.lines].some((l) => l.includes('DOE') || l.includes('55501')),
      'no PHI in the logs',
    );
  },
);

test(
  'SIGKILL while the insert of an HL7 message is held by the store path: ' +
    'no AA; after restart the message is either not stored or delivered once',
  async (t) => {
    const { erp, proxy, store, first, sendHeld, restart } = await heldStoreEngine(t);
    const { answer } = await sendHeld(admit('KILL0002', 'VKILL2'));
    await first.kill('SIGKILL');
    // What the engine wrote before it died arrives before the connection's end: an AA would be here.
    t.is(await answer, undefined, 'no ACK: the insert never reached the store');
    // The held bytes reach the store late, as a network would deliver them: the insert may land or not.
    proxy.resume();

    await restart();
    const [stored] = await store.messages.list({ controlId: 'KILL0002', limit: 1 });
    t.log(stored ? 'the held insert landed after the kill' : 'the held insert did not land');
    if (!stored) {
      t.is(erp.postings().length, 0, 'not stored, not delivered: the sender resends for want of an ACK');
      return;
    }
    const posting = await waitFor('delivery of the message stored without an ACK', () => erp.postings()[0], 60_000);
    t.is(posting.idempotencyKey, `${stored._id}:erp`);
    t.is(erp.postings().length, 1);
  },
);

test('SIGKILL of the engine right after a FHIR 201, then restart: the resource is delivered', async (t) => {
  const erp = await startErpSimulator({ port: 0 });
  const env = engineEnv(erp.url);
  const first = await spawnEngine(env);
  t.teardown(async () => (await first.kill(), await erp.close()));
  erp.setBehaviour({ mode: 'fail', status: 503, times: -1 });
  const res = await fetch(`http://127.0.0.1:${first.httpPort}/fhir/ehr-fhir/ChargeItem`, {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json', authorization: 'Bearer crash-test-token' },
    body: JSON.stringify({
      resourceType: 'ChargeItem',
      status: 'billable',
      code: { coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: '27447' }] },
      subject: { reference: 'Patient/pat-55501' },
      context: { reference: 'Encounter/enc-vkill2' },
      occurrenceDateTime: '2026-03-20T14:30:00-05:00',
    }),
  });
  await first.kill('SIGKILL');
  t.is(res.status, 201);
  t.is(erp.postings().length, 0);

  erp.setBehaviour({ mode: 'ok' });
  const second = await spawnEngine(env);
  t.teardown(() => second.kill('SIGTERM'));
  const posting = await waitFor('delivery after restart', () => erp.postings()[0], 60_000);
  t.is((posting.body as { event: { code: string } }).event.code, '27447');
  t.is(erp.postings().length, 1);
});
