/**
 * Issue 20, finding 11: FHIR took a body that is not UTF-8 (a Latin-1 `ë`), stored it with U+FFFD
 * in its place and answered 201, and ignored a `charset` other than UTF-8 in Content-Type. FHIR R4
 * (http.html, Content Types and encodings) says bodies are UTF-8 and the charset SHALL be UTF-8:
 * invalid UTF-8 is answered 400 naming the byte offset, another charset 415, each with an
 * OperationOutcome, and nothing is stored.
 */
import test from 'ava';
import ehrFhir from '../../channels/ehr-fhir.channel.ts';
import { startErpSimulator, type ErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, testChannel, TEST_ENCRYPTION, type TestEngine } from '../support/harness.ts';

const TOKEN = 'utf8-token-0123456789';
let erp: ErpSimulator;
let sb: TestEngine;

test.before(async () => {
  erp = await startErpSimulator();
  const fhir = {
    ...ehrFhir,
    source: { ...ehrFhir.source, tokens: [TOKEN] },
    destinations: ehrFhir.destinations.map((d) => ({ ...d, config: { baseUrl: erp.url } })),
  };
  sb = await startTestEngine({ channels: [testChannel({ erpUrl: erp.url }), fhir], security: TEST_ENCRYPTION });
});
test.after.always(async () => {
  await sb?.close();
  await erp?.close();
});

const post = (payload: Buffer, contentType: string) =>
  sb.engine.http!.inject({
    method: 'POST',
    url: '/fhir/ehr-fhir/Patient',
    headers: { 'content-type': contentType, authorization: `Bearer ${TOKEN}` },
    payload,
  });

const patient = (family: string) => `{"resourceType":"Patient","name":[{"family":"${family}"}]}`;
/** The Patient with its family name written in Latin-1: `ë` is the single byte 0xEB. */
const latin1 = Buffer.from(patient('Zoë'), 'latin1');
const OFFSET = Buffer.from('{"resourceType":"Patient","name":[{"family":"Zo').length;

type Outcome = { resourceType: string; issue: { severity: string; code: string; details: { text: string } }[] };
const stored = async () => (await sb.engine.store!.messages.list({ limit: 10 })).length;

test.serial('a body that is not UTF-8 is answered 400 with an OperationOutcome naming the byte offset, and not stored', async (t) => {
  t.is(latin1[OFFSET], 0xeb);
  for (const type of ['application/fhir+json', 'application/fhir+json; charset=utf-8', 'application/json']) {
    const res = await post(latin1, type);
    t.is(res.statusCode, 400, `${type}: ${res.body}`);
    const body = res.json() as Outcome;
    t.is(body.resourceType, 'OperationOutcome');
    t.like(body.issue[0], { severity: 'error', code: 'structure' });
    t.is(body.issue[0]!.details.text, `The body is not valid UTF-8: the first invalid sequence starts at byte offset ${OFFSET}`);
  }
  t.is(await stored(), 0);
});

test.serial('a charset other than UTF-8 is answered 415 with an OperationOutcome, and not stored', async (t) => {
  for (const charset of ['iso-8859-1', 'windows-1252', '"UTF-16"']) {
    const res = await post(Buffer.from(patient('Doe')), `application/fhir+json; charset=${charset}`);
    t.is(res.statusCode, 415, `${charset}: ${res.body}`);
    const body = res.json() as Outcome;
    t.is(body.resourceType, 'OperationOutcome');
    t.like(body.issue[0], { severity: 'error', code: 'not-supported' });
    t.regex(body.issue[0]!.details.text, /FHIR bodies are UTF-8.*charset=.* is not supported/);
  }
  t.is(await stored(), 0);
});

test.serial('the same Patient in UTF-8, with or without charset=utf-8, is stored with its ë', async (t) => {
  const utf8 = Buffer.from(patient('Zoë'), 'utf8');
  for (const type of ['application/fhir+json; charset=UTF-8', 'application/fhir+json']) {
    const res = await post(utf8, type);
    t.is(res.statusCode, 201, `${type}: ${res.body}`);
    const message = await sb.engine.store!.messages.get(res.headers['x-switchboard-message-id'] as string);
    t.true(Buffer.from(message!.raw).toString('utf8').includes('"family":"Zoë"'));
  }
});
