import test, { type ExecutionContext } from 'ava';
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { decodeBytes, isBatch, parseBatch, parseMessage, type Hl7Message } from '../../hl7v2/index.ts';
import { classifiedFields, identifiesAPerson } from '../../transforms/canonical/data-class.ts';
import { canonicalSchema } from '../../transforms/canonical/index.ts';
import type { MessageRecord } from '../../engine/store/message-record.ts';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, testChannel, waitFor } from '../support/harness.ts';
import { MllpTestClient } from '../support/mllp-client.ts';
import { CORPUS, requireShared } from '../support/shared.ts';
import { INLINE_DIRECT, INLINE_INDIRECT, inlinePatientMessages } from '../support/inline-patient.ts';
import { userSession } from '../support/users.ts';

/** Direct identifiers a corpus message carries that no model maps (SSN, address, phone) as well as those it does. */
function rawDirectIdentifiers(m: Hl7Message): string[] {
  const values: string[] = [];
  for (const p of ['PID-5.1', 'PID-5.2', 'PID-5.3', 'PID-7', 'PID-11.1', 'PID-11.2', 'PID-11.3', 'PID-11.5', 'PID-13', 'PID-19', 'MRG-1.1'])
    values.push(m.get(p));
  for (let r = 1; r <= m.repetitionCount('PID-3'); r++) values.push(m.get(`PID-3[${r}].1`));
  for (let r = 1; r <= m.repetitionCount('PID-11'); r++) values.push(m.get(`PID-11[${r}].1`), m.get(`PID-11[${r}].3`));
  const dates = values.filter((v) => /^\d{8}$/.test(v)).map((v) => `${v.slice(0, 4)}-${v.slice(4, 6)}-${v.slice(6)}`);
  return [...values, ...dates];
}

const get = (o: unknown, dotted: string): unknown =>
  dotted.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), o);

/**
 * The value of every canonical field the models class `direct-identifier` or `indirect-identifier`,
 * by class, derived from the model definitions: a field classed tomorrow is scanned for tomorrow.
 */
function canonicalIdentifiers(messages: readonly MessageRecord[]): { direct: Set<string>; indirect: Set<string> } {
  const out = { direct: new Set<string>(), indirect: new Set<string>() };
  for (const e of messages.flatMap((m) => m.canonical?.events ?? [])) {
    for (const f of classifiedFields(canonicalSchema(e.model, e.modelVersion)!)) {
      const value = get(e.event, f.path);
      if (!f.dataClass || !identifiesAPerson(f.dataClass) || value === undefined) continue;
      (f.dataClass === 'direct-identifier' ? out.direct : out.indirect).add(String(value));
    }
  }
  return out;
}

const escape = (v: string) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** The values of `values` found in `text` as a whole token (not inside a longer word or number). */
const foundIn = (text: string, values: Iterable<string>) =>
  [...values].filter((v) => v.length >= 3 && v !== '""' && new RegExp(`(^|[^A-Za-z0-9])${escape(v)}($|[^A-Za-z0-9])`).test(text));

/**
 * The demo channel delivering to one ERP three times: the demo policy (`erp`), the default
 * (`erp-default`), a pseudonymising one (`erp-pseudo`).
 */
async function threePolicyEngine(t: ExecutionContext) {
  const erp = await startErpSimulator();
  const base = testChannel({ erpUrl: erp.url });
  const demo = base.destinations[0]!;
  const { dataPolicy: _demoPolicy, ...withDefaultPolicy } = demo;
  const pseudo = {
    ...withDefaultPolicy,
    id: 'erp-pseudo',
    dataPolicy: { allow: ['financial', 'operational', 'clinical'] as const, pseudonymise: true },
  };
  const sb = await startTestEngine({
    channels: [{ ...base, destinations: [demo, { ...withDefaultPolicy, id: 'erp-default' }, pseudo] }],
    config: { PSEUDONYM_KEY: randomBytes(32).toString('base64') },
  });
  t.teardown(async () => (await sb.close(), await erp.close()));
  return { erp, sb };
}

test(
  'the corpus end to end: under the default policy no identifier, direct or indirect, ' +
    'reaches a finance destination; a pseudonymising one gets keyed pseudonyms; the demo ' +
    'ERP gets visit numbers and no direct identifier; a viewer without PHI sees none of them',
  async (t) => {
    if (!requireShared(t)) return;
    const { erp, sb } = await threePolicyEngine(t);

    const files = (await readdir(CORPUS)).filter((f) => /^0\d\d-.*\.hl7$/.test(f)).sort();
    const raw = new Set<string>();
    const client = await MllpTestClient.connect(sb.mllpPort);
    for (const f of files) {
      const bytes = await readFile(path.join(CORPUS, f));
      const text = decodeBytes(bytes).text;
      for (const m of isBatch(text) ? parseBatch(text).messages : [parseMessage(text)]) for (const v of rawDirectIdentifiers(m)) raw.add(v);
      await client.send(bytes);
    }
    client.close();
    await waitFor('every message settled', async () => {
      const open = [
        ...(await sb.engine.store!.messages.list({ status: 'routed', limit: 10 })),
        ...(await sb.engine.store!.messages.list({ status: 'received', limit: 10 })),
      ];
      return open.length === 0 && (await sb.engine.store!.messages.list({ status: 'delivered', limit: 100 })).length > 0;
    });
    const listed = await sb.engine.store!.messages.list({ limit: 500 });
    const messages = (await Promise.all(listed.map((m) => sb.engine.store!.messages.get(m._id)))).filter(
      (m): m is MessageRecord => m !== null,
    );
    const { direct, indirect } = canonicalIdentifiers(messages);
    for (const v of raw) direct.add(v);
    t.true(
      ['DOE', '100234', '999-12-3456', '1975-04-12'].every((v) => direct.has(v)),
      'the scan knows the corpus direct identifiers',
    );
    t.true(
      ['ACCT5551234', 'V00098765', '1234567', 'MSG00001', 'DFT0001'].every((v) => indirect.has(v)),
      `the scan knows the corpus indirect identifiers: ${[...indirect].join(' ')}`,
    );

    const postings = erp.postings();
    const to = (id: string) => postings.filter((p) => new RegExp(`:${id}(:\\d+)?$`).test(p.idempotencyKey));
    const [plain, pseudonymised, demoPostings] = [to('erp-default'), to('erp-pseudo'), to('erp')];
    t.true(
      plain.length >= 10 && pseudonymised.length === plain.length && demoPostings.length === plain.length,
      `${plain.length} / ${pseudonymised.length} / ${demoPostings.length} postings`,
    );
    const body = (ps: typeof postings) => JSON.stringify(ps.map((p) => p.body));
    t.deepEqual(foundIn(body(plain), [...direct, ...indirect]), [], 'no identifier in any posting of the default policy');
    t.deepEqual(foundIn(body(pseudonymised), [...direct, ...indirect]), [], 'no identifier in any posting of the pseudonymising policy');
    t.deepEqual(foundIn(body(demoPostings), direct), [], 'no direct identifier in any posting of the demo ERP');
    t.true(foundIn(body(demoPostings), indirect).includes('V00098765'), 'the demo ERP gets the visit number it posts charges to');

    const events = (ps: typeof postings) =>
      ps.map((p) => (p.body as { event: { patient?: { mrn?: string }; encounter?: { visitNumber?: string } } }).event);
    t.true(events(plain).every((e) => e.patient === undefined && e.encounter?.visitNumber === undefined));
    const keys = events(pseudonymised).map((e) => e.patient?.mrn ?? '');
    t.true(
      keys.every((k) => /^pk_[A-Za-z0-9_-]{32}$/.test(k)),
      keys.join(' '),
    );
    t.true(new Set(keys).size < keys.length, 'the same patient gets the same pseudonym');
    const visits = events(pseudonymised).flatMap((e) => (e.encounter?.visitNumber !== undefined ? [e.encounter.visitNumber] : []));
    t.true(visits.length > 0 && visits.every((k) => /^pk_[A-Za-z0-9_-]{32}$/.test(k)), visits.join(' '));

    // A viewer without the PHI permission: the search and every message, raw, canonical, summary and ACK.
    const viewer = await userSession(sb, { username: 'vic.viewer', role: 'viewer', phi: false });
    const api = async (url: string) => (await sb.engine.http!.inject({ method: 'GET', url, headers: viewer })).body;
    const shown = [await api('/api/messages?limit=500'), ...(await Promise.all(messages.map((m) => api(`/api/messages/${m._id}`))))].join(
      '\n',
    );
    t.true(shown.includes('"masked":true'), 'the views were masked');
    t.deepEqual(foundIn(shown, [...direct, ...indirect]), [], 'no identifier in what a viewer without PHI sees');

    // A viewer may still find a message by its control id; the audit log records that a control id was given, not which.
    const found = JSON.parse(await api('/api/messages?controlId=DFT0001')) as { items: { summary: { controlId: string } }[] };
    t.deepEqual(
      found.items.map((m) => m.summary.controlId),
      ['***'],
    );
    const audit = (await sb.engine.http!.inject({ method: 'GET', url: '/api/audit?actor=vic.viewer', headers: sb.adminHeaders })).body;
    t.regex(audit, /"controlId":"\[given\]"/);
    t.deepEqual(foundIn(audit, [...direct, ...indirect]), [], 'no identifier in the audit log of the searches');
  },
);

// ---------------------------------------------------------------------------------------------
// Without the corpus too: one patient's ADT^A01, DFT^P03 and ADT^A40 (tests/support/inline-patient.ts),
// so the finance posting check runs (and can fail) whether or not ../shared exists.

test(
  'inline ADT and DFT, no corpus needed: the default policy posts no identifier, the ' +
    'pseudonymising one keyed pseudonyms, the demo ERP the visit number and no direct identifier',
  async (t) => {
    const { erp, sb } = await threePolicyEngine(t);
    const client = await MllpTestClient.connect(sb.mllpPort);
    for (const m of inlinePatientMessages()) t.regex(await client.send(m), /\rMSA\|AA\|/);
    client.close();
    const stored = await waitFor('the three messages delivered', async () => {
      const listed = await sb.engine.store!.messages.list({ status: 'delivered', limit: 10 });
      return listed.length === 3 && listed;
    });

    // The identifiers did reach the canonical events: the policy had them to strip.
    const messages = (await Promise.all(stored.map((m) => sb.engine.store!.messages.get(m._id)))).filter(
      (m): m is MessageRecord => m !== null,
    );
    const { direct, indirect } = canonicalIdentifiers(messages);
    t.true(
      ['QX7731904', 'QUIMBLEWORTH', 'HORTENSIA', '1958-02-13', 'QX7700012'].every((v) => direct.has(v)),
      `canonical direct identifiers: ${[...direct].join(' ')}`,
    );
    t.true(indirect.has('VQ88123'), `canonical indirect identifiers: ${[...indirect].join(' ')}`);
    for (const v of INLINE_DIRECT) direct.add(v);
    for (const v of INLINE_INDIRECT) indirect.add(v);

    const postings = erp.postings();
    const to = (id: string) => postings.filter((p) => new RegExp(`:${id}(:\\d+)?$`).test(p.idempotencyKey));
    const [plain, pseudonymised, demoPostings] = [to('erp-default'), to('erp-pseudo'), to('erp')];
    t.true(
      plain.length === 3 && pseudonymised.length === 3 && demoPostings.length === 3,
      `${plain.length} / ${pseudonymised.length} / ${demoPostings.length} postings: two encounters and a charge each`,
    );
    const body = (ps: typeof postings) => JSON.stringify(ps.map((p) => p.body));
    t.deepEqual(foundIn(body(plain), [...direct, ...indirect]), [], 'no identifier in any posting of the default policy');
    t.deepEqual(foundIn(body(pseudonymised), [...direct, ...indirect]), [], 'no identifier in any posting of the pseudonymising policy');
    t.deepEqual(foundIn(body(demoPostings), direct), [], 'no direct identifier in any posting of the demo ERP');
    t.true(foundIn(body(demoPostings), indirect).includes('VQ88123'), 'the demo ERP gets the visit number it posts charges to');
    const mrns = pseudonymised.map((p) => (p.body as { event: { patient?: { mrn?: string } } }).event.patient?.mrn ?? '');
    t.true(
      mrns.every((k) => /^pk_[A-Za-z0-9_-]{32}$/.test(k)) && new Set(mrns).size === 1,
      `one keyed pseudonym for the patient: ${mrns.join(' ')}`,
    );
  },
);
