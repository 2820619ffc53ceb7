/**
 * Issue 20, finding 6: one FHIR request stalled the event loop for 3 s (a 4 MiB body with 259,541
 * keys), and every MLLP ACK of the engine waited as long. The body's structure is now counted
 * before it is parsed (100,000 keys, 64 levels, 10,000 elements in one array; 413 naming the limit)
 * and FHIR R4 validation runs in worker threads, so a large body being validated delays no ACK.
 * The engine runs in a process of its own (the demo's channels, as `npm start` runs them): in this
 * process its event loop would be the test's. Order of events only, never elapsed time.
 */
import test from 'ava';
import http from 'node:http';
import { startErpSimulator, type ErpSimulator } from '../../peers/erp-simulator.ts';
import { spawnEngine, type EngineProcess } from '../support/engine-process.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';
import { sharedMongoUrl, sharedRedisUrl } from '../support/services.ts';
import { uniqueName } from '../../scripts/lib/unique-name.ts';

const TOKEN = 'bomb-token-0123456789';
let erp: ErpSimulator;
let engine: EngineProcess;

test.before(async () => {
  erp = await startErpSimulator({ port: 0 });
  engine = await spawnEngine({
    REDIS_URL: sharedRedisUrl(),
    MONGODB_URL: sharedMongoUrl(),
    MONGODB_DB: uniqueName('sbbomb'),
    QUEUE_PREFIX: uniqueName('sbq'),
    ERP_BASE_URL: erp.url,
    FHIR_API_TOKEN: TOKEN,
    FHIR_BODY_LIMIT_BYTES: String(8 * 1024 * 1024),
  });
});
test.after.always(async () => {
  await engine?.kill('SIGTERM');
  await erp?.close();
});

const post = async (url: string, payload: string) => {
  const res = await fetch(`http://127.0.0.1:${engine.httpPort}/fhir/ehr-fhir${url}`, {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${TOKEN}` },
    body: payload,
  });
  const body = await res.text();
  return { statusCode: res.status, body, json: () => JSON.parse(body) as unknown };
};

/** `{"k0":0,"k1":1,…}` with `n` keys, as JSON text. */
const objectOfKeys = (n: number): string => `{${Array.from({ length: n }, (_, i) => `"k${i}":${i}`).join(',')}}`;

type Outcome = { resourceType: string; issue: { code: string; details: { text: string }; expression?: string[] }[] };

test('a body over the key limit is answered 413 with an OperationOutcome naming the limit, before validation', async (t) => {
  // `bogus` is no Patient element: had the body been validated, the answer would name Patient.bogus.
  const res = await post('/Patient', `{"resourceType":"Patient","bogus":${objectOfKeys(100_001)}}`);
  t.is(res.statusCode, 413, res.body.slice(0, 300));
  const body = res.json() as Outcome;
  t.is(body.resourceType, 'OperationOutcome');
  t.is(body.issue.length, 1);
  t.is(body.issue[0]!.code, 'too-costly');
  t.regex(body.issue[0]!.details.text, /more than 100000 object keys \(limit maxKeys = 100000/);
  t.false(res.body.includes('bogus'), 'the validator never saw the body');

  // At the limit the body is read and validated (and refused for its unknown element).
  const atLimit = await post('/Patient', `{"resourceType":"Patient","bogus":${objectOfKeys(100_000 - 2)}}`);
  t.is(atLimit.statusCode, 400, atLimit.body.slice(0, 300));
  t.true(
    (atLimit.json() as Outcome).issue.some((i) => (i.expression ?? []).some((e) => e.includes('bogus'))),
    atLimit.body.slice(0, 300),
  );
});

test('nesting deeper than 64 and an array of more than 10,000 elements are answered 413 naming their limit', async (t) => {
  const deep = await post('/Patient', `{"resourceType":"Patient","bogus":${'['.repeat(64)}${']'.repeat(64)}}`);
  t.is(deep.statusCode, 413, deep.body.slice(0, 300));
  t.regex((deep.json() as Outcome).issue[0]!.details.text, /limit maxDepth = 64/);

  const long = await post('/Patient', JSON.stringify({ resourceType: 'Patient', bogus: Array.from({ length: 10_001 }, () => 0) }));
  t.is(long.statusCode, 413, long.body.slice(0, 300));
  t.regex((long.json() as Outcome).issue[0]!.details.text, /limit maxArrayLength = 10000/);

  const justUnder = await post('/Patient', JSON.stringify({ resourceType: 'Patient', bogus: Array.from({ length: 10_000 }, () => 0) }));
  t.is(justUnder.statusCode, 400, 'an array of 10,000 is read and validated');
});

/**
 * A Patient of about 4.9 MB within every structural limit (5,000 names of 250 given names: 10,000
 * keys) whose validation takes a second or more of CPU, where an MLLP round trip takes
 * milliseconds. Its last element is a bad birthDate: the validator walks every name before it
 * answers, and the 400 follows the validation at once (nothing is stored), so the order of the
 * answers measures the validation alone.
 */
const heavyPatient = (): string =>
  JSON.stringify({
    resourceType: 'Patient',
    name: Array.from({ length: 5_000 }, (_, i) => ({ family: `F${i}`, given: Array.from({ length: 250 }, () => 'G') })),
    birthDate: 'not-a-date',
  });

const oru = (n: number) =>
  [
    `MSH|^~\\&|LAB|GENHOSP|EHR|GENHOSP|20260315090000||ORU^R01^ORU_R01|BOMBORU${n}|P|2.5.1`,
    'PID|1||MRN7001^^^GENHOSP^MR||ROE^ALEX||19700101|F',
    'OBX|1|NM|4548-4^HEMOGLOBIN A1C^LN||5.1|%|4.0-5.6|N|||F',
  ].join('\r') + '\r';

/**
 * MLLP messages sent one after another (each once the previous is acknowledged), from when the
 * FHIR body has been handed to the socket. Before the fix the server read and parsed the body (a few
 * round trips' time), then validated it on the event loop: every message after that waited for the
 * FHIR answer. ROUND_TRIPS of them take a fraction of the validation's time.
 */
const ROUND_TRIPS = 20;

test('while a large body within the limits is being validated, MLLP messages on another channel get their AA first', async (t) => {
  const client = await MllpTestClient.connect(engine.mllpPort);
  t.teardown(() => client.close());
  const events: string[] = [];
  const sendAll = async () => {
    for (let n = 1; n <= ROUND_TRIPS; n++) events.push(`ack ${field(await client.send(oru(n)), 'MSA', 1)}`);
  };
  const body = heavyPatient();
  let acks: Promise<void> | undefined;
  let answer = '';
  const status = await new Promise<number>((resolve, reject) => {
    const headers = {
      'content-type': 'application/fhir+json',
      authorization: `Bearer ${TOKEN}`,
      'content-length': Buffer.byteLength(body),
    };
    const req = http.request(
      { host: '127.0.0.1', port: engine.httpPort, method: 'POST', path: '/fhir/ehr-fhir/Patient', headers },
      (res) => {
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (answer += chunk));
        res.on('end', () => {
          events.push('fhir answer');
          resolve(res.statusCode!);
        });
      },
    );
    req.on('error', reject);
    req.on('finish', () => {
      events.push('fhir body sent');
      acks = sendAll();
    });
    req.end(body);
  });
  await acks;
  t.is(status, 400, answer.slice(0, 300));
  t.deepEqual(
    (JSON.parse(answer) as Outcome).issue.flatMap((i) => i.expression ?? []),
    ['Patient.birthDate'],
    'validated to the end',
  );
  t.deepEqual(events, ['fhir body sent', ...Array.from({ length: ROUND_TRIPS }, () => 'ack AA'), 'fhir answer']);
});
