import test from 'ava';
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { Binary } from 'mongodb';
import { createLogger } from '../../engine/log.ts';
import { Keyring } from '../../engine/security/encryption.ts';
import { decodeBytes, isBatch, parseBatch, parseMessage, type Hl7Message } from '../../hl7v2/index.ts';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, testChannel, waitFor, type TestEngine } from '../support/harness.ts';
import { MllpTestClient } from '../support/mllp-client.ts';
import { sharedMongoUrl } from '../support/services.ts';
import { CORPUS, corpusCase, hasShared, REPO_ROOT, requireShared } from '../support/shared.ts';
import { inlinePatientMessages } from '../support/inline-patient.ts';
import { withoutGeneratedIds } from '../support/generated-text.ts';
import { found, storedDocs } from '../support/stored-text.ts';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const cases = hasShared
  ? (await readdir(CORPUS))
      .filter((f) => /^\d{3}-.*\.hl7$/.test(f))
      .map((f) => f.replace(/\.hl7$/, ''))
      .sort()
  : [];

/** Patient names and identifiers of the corpus, read with our codec: PID-3.1 (every repetition), PID-5.1 and PID-5.2, NK1-2.1, MRG-1.1. */
async function corpusPhi(): Promise<string[]> {
  const values = new Set<string>();
  for (const name of cases.filter((c) => c.startsWith('0'))) {
    const text = decodeBytes((await corpusCase(name)).bytes).text;
    const messages: Hl7Message[] = isBatch(text) ? parseBatch(text).messages : [parseMessage(text)];
    for (const m of messages) {
      for (const pid of m.segments('PID')) {
        for (let r = 1; r <= 5; r++) values.add(pid.get({ field: 3, repetition: r, component: 1, subcomponent: 1 }));
        values.add(pid.get({ field: 5, repetition: 1, component: 1, subcomponent: 1 }));
        values.add(pid.get({ field: 5, repetition: 1, component: 2, subcomponent: 1 }));
      }
      for (const nk1 of m.segments('NK1')) values.add(nk1.get({ field: 2, repetition: 1, component: 1, subcomponent: 1 }));
      for (const mrg of m.segments('MRG')) values.add(mrg.get({ field: 1, repetition: 1, component: 1, subcomponent: 1 }));
    }
  }
  // Values of three characters or more: shorter ones (sex codes, initials) are not identifying and match by chance.
  return [...values].filter((v) => v.length >= 3);
}

/** One message on its own connection (an invalid case may get the connection closed). */
async function send(port: number, bytes: Buffer): Promise<void> {
  const client = await MllpTestClient.connect(port);
  try {
    await client.send(bytes).catch(() => undefined);
  } finally {
    client.close();
  }
}

/** Runs every corpus case (valid and invalid) through an engine and returns its database name and every log line it wrote. */
async function runCorpus(security: Parameters<typeof startTestEngine>[0]['security']): Promise<{ sb: TestEngine; lines: string[] }> {
  const lines: string[] = [];
  const stream = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString('utf8')), done()) });
  const erp = await startErpSimulator();
  // Some ERP failures too, so that retry and dead-letter paths log as well.
  erp.setBehaviour({ mode: 'fail', status: 503, times: 3 });
  erp.rejectMatching('GENHOSP');
  const sb = await startTestEngine({
    channels: [testChannel({ erpUrl: erp.url, retry: { attempts: 2, initialDelayMs: 20, maxDelayMs: 50 } })],
    security,
    log: createLogger({ level: 'debug', stream }),
  });
  for (const name of cases) await send(sb.mllpPort, (await corpusCase(name)).bytes);
  await waitFor(
    'every message settled',
    async () =>
      (await sb.engine.store!.messages.list({ status: 'routed', limit: 1 })).length === 0 &&
      (await sb.engine.store!.messages.list({ status: 'received', limit: 1 })).length === 0,
    60_000,
  );
  await sb.close();
  await erp.close();
  return { sb, lines };
}

const keys = { ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`, SEARCH_HASH_KEY: randomBytes(32).toString('base64') };

test.serial(
  'encryption on: no corpus patient name or MRN is in clear in any MongoDB document; off: they are (the check can fail)',
  async (t) => {
    if (!requireShared(t)) return;
    const phi = await corpusPhi();
    t.true(phi.length >= 10, `${phi.length} PHI values`);
    const clear = await runCorpus({});
    const inClear = found(await storedDocs(clear.sb.config.MONGODB_DB), phi);
    t.true(inClear.length >= phi.length * 0.8, `without encryption ${inClear.length} of ${phi.length} values are stored in clear`);

    const sealed = await runCorpus(keys);
    const docs = await storedDocs(sealed.sb.config.MONGODB_DB);
    t.true(docs.length > cases.length, `${docs.length} documents read`);
    const keyring = Keyring.parse(keys.ENCRYPTION_KEYS);
    const probe = {
      raw: new Binary(keyring.seal(Buffer.from('DOE^JANE'))),
      answer: `sealed:${keyring.seal(Buffer.from('DOE')).toString('base64')}`,
      other: new Binary(Buffer.from('x|DOE^JANE|x')),
      deep: [{ DOE: 1 }],
    };
    t.deepEqual(
      found([{ collection: 'probe', doc: probe }], ['DOE', 'JANE'], keyring),
      ['DOE at probe.other, probe.deep[]{key}', 'JANE at probe.other'],
      'a value is found in a binary that does not open and in a field name, named by where; values sealed under the key are not',
    );
    t.deepEqual(
      found([{ collection: 'probe', doc: { raw: probe.raw, answer: probe.answer } }], ['DOE', 'JANE'], keyring),
      [],
      'sealed values are left out',
    );
    t.deepEqual(
      found([{ collection: 'users', doc: { passwordHash: 'scrypt$15$8$1$GILGILGILGILGILGILGILw==$GILx/GIL+GIL=', note: 'GIL' } }], ['GIL']),
      ['GIL at users.note'],
      'a password hash is random text, blanked; a value beside it is still found',
    );
    t.deepEqual(found(docs, phi, keyring), [], 'with encryption none is');
  },
);

test.serial(
  'a log scan: every line the engine wrote while running the corpus (debug level, failures included) holds no corpus PHI value',
  async (t) => {
    if (!requireShared(t)) return;
    const phi = await corpusPhi();
    const { lines } = await runCorpus(keys);
    t.true(lines.length > cases.length, `${lines.length} log lines`);
    t.true(
      lines.some((l) => l.includes('"delivery failed; will retry"')) && lines.some((l) => l.includes('"delivery dead"')),
      'the failure paths ran and logged',
    );
    const scanned = lines.map(withoutGeneratedIds);
    const leaks = phi.flatMap((v) => scanned.filter((l) => l.includes(v)).map((l) => `${v} in ${l.slice(0, 200)}`));
    t.true(
      withoutGeneratedIds('{"messageId":"01a23557-c0cb-7000-b6b7-56478000018f","mrn":"800001"}').includes('800001'),
      'blanking ids keeps a value beside them',
    );
    t.deepEqual(leaks, []);
  },
);

test.serial(
  'encrypted records open again, search by MRN works through keyed hashes, and rotation re-seals under the new key',
  async (t) => {
    const erp = await startErpSimulator();
    t.teardown(() => erp.close());
    const sb = await startTestEngine({ channels: [testChannel({ erpUrl: erp.url })], security: keys });
    const adt =
      'MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315083000||ADT^A01|ROT1|P|2.5.1\r' +
      'EVN|A01|20260315083000\rPID|1||998877^^^GENHOSP^MR||ZEBEDEE^ZOE\rPV1|1|I|4W\r';
    await send(sb.mllpPort, Buffer.from(adt));
    t.teardown(() => sb.close());
    const listed = await waitFor(
      'delivered',
      async () => (await sb.engine.store!.messages.list({ mrn: '998877', status: 'delivered', limit: 1 }))[0],
    );
    t.is(listed.summary!.mrn, '998877');
    const shared = { dbName: sb.config.MONGODB_DB, prefix: sb.config.QUEUE_PREFIX };
    await sb.close();

    const k2 = `k2:${randomBytes(32).toString('base64')}`;
    const rotated = await startTestEngine({
      channels: [testChannel({ erpUrl: erp.url })],
      ...shared,
      security: { ...keys, ENCRYPTION_KEYS: `${k2},${keys.ENCRYPTION_KEYS}` },
    });
    t.teardown(() => rotated.close());
    t.is(
      (await rotated.engine.store!.messages.get(listed._id))!.summary!.controlId,
      'ROT1',
      'old records open with the old key still in the ring',
    );
    await rotated.close();
    const env = {
      ...process.env,
      MONGODB_URL: sharedMongoUrl(),
      MONGODB_DB: shared.dbName,
      ENCRYPTION_KEYS: `${k2},${keys.ENCRYPTION_KEYS}`,
      SEARCH_HASH_KEY: keys.SEARCH_HASH_KEY,
    };
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(REPO_ROOT, 'bin/switchboard.js'), 'keys', 'reseal'], { env });
    t.is(stdout.trim(), 're-sealed 1 messages under key k2');
    const newOnly = await startTestEngine({
      channels: [testChannel({ erpUrl: erp.url })],
      ...shared,
      security: { ...keys, ENCRYPTION_KEYS: k2 },
    });
    t.teardown(() => newOnly.close());
    const reopened = await newOnly.engine.store!.messages.get(listed._id);
    t.true(Buffer.from(reopened!.raw).toString('utf8').includes('ZEBEDEE^ZOE'), 'the old key can be retired after re-sealing');
  },
);

// ---------------------------------------------------------------------------------------------
// Without the corpus too: one patient's ADT^A01, DFT^P03 and ADT^A40 (tests/support/inline-patient.ts),
// so the at-rest and log checks run (and can fail) whether or not ../shared exists.

/** The inline patient's names and identifiers as the messages carry them (what the corpus check scans for). */
const INLINE_PHI = [
  'QX7731904',
  '556201187',
  'QUIMBLEWORTH',
  'HORTENSIA',
  'BARNABY',
  'QX7700012',
  '556-20-1187',
  '4417 LARKSPUR LN',
  '(740)555-0183',
];

/**
 * Sends the inline messages through an engine (the ERP failing a few times first) until all are delivered; returns its database
 * name and log lines.
 */
async function runInline(security: Parameters<typeof startTestEngine>[0]['security']): Promise<{ dbName: string; lines: string[] }> {
  const lines: string[] = [];
  const stream = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString('utf8')), done()) });
  const erp = await startErpSimulator();
  erp.setBehaviour({ mode: 'fail', status: 503, times: 2 });
  const sb = await startTestEngine({
    channels: [testChannel({ erpUrl: erp.url, retry: { attempts: 5, initialDelayMs: 20, maxDelayMs: 50 } })],
    security,
    log: createLogger({ level: 'debug', stream }),
  });
  try {
    for (const m of inlinePatientMessages()) await send(sb.mllpPort, Buffer.from(m));
    await waitFor(
      'the three messages delivered',
      async () => (await sb.engine.store!.messages.list({ status: 'delivered', limit: 10 })).length === 3,
    );
  } finally {
    await sb.close();
    await erp.close();
  }
  return { dbName: sb.config.MONGODB_DB, lines };
}

test.serial(
  "inline ADT and DFT, no corpus needed: encryption on, none of the patient's names " +
    'or identifiers is in clear in MongoDB or in the log; off, they are in MongoDB',
  async (t) => {
    const clear = await runInline({});
    t.deepEqual(
      found(await storedDocs(clear.dbName), INLINE_PHI).map((f) => f.slice(0, f.indexOf(' at '))),
      INLINE_PHI,
      'without encryption every value is stored in clear (the check can fail)',
    );

    const sealed = await runInline(keys);
    const docs = await storedDocs(sealed.dbName);
    t.true(docs.length >= 3, `${docs.length} documents read`);
    t.deepEqual(found(docs, INLINE_PHI, Keyring.parse(keys.ENCRYPTION_KEYS)), [], 'with encryption none is');
    t.true(
      sealed.lines.some((l) => l.includes('"delivery failed; will retry"')),
      'the retry path ran and logged',
    );
    const scanned = sealed.lines.map(withoutGeneratedIds);
    t.deepEqual(
      INLINE_PHI.filter((v) => scanned.some((l) => l.includes(v))),
      [],
      'no value in any log line',
    );
  },
);
