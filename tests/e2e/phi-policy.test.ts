import test from 'ava';
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { decodeBytes, isBatch, parseBatch, parseMessage, type Hl7Message } from '../../engine/hl7v2/index.ts';
import { startErpSimulator } from '../peers/erp-simulator.ts';
import { startTestEngine, testChannel, waitFor } from '../support/harness.ts';
import { MllpTestClient } from '../support/mllp-client.ts';
import { CORPUS, requireShared } from '../support/shared.ts';

/** Every direct identifier a corpus message carries: names, birth date, address, phone, SSN, MRNs. */
function directIdentifiers(m: Hl7Message): string[] {
  const values: string[] = [];
  for (const p of ['PID-5.1', 'PID-5.2', 'PID-5.3', 'PID-7', 'PID-11.1', 'PID-11.2', 'PID-11.3', 'PID-11.5', 'PID-13', 'PID-19', 'MRG-1.1']) values.push(m.get(p));
  for (let r = 1; r <= m.repetitionCount('PID-3'); r++) values.push(m.get(`PID-3[${r}].1`));
  for (let r = 1; r <= m.repetitionCount('PID-11'); r++) values.push(m.get(`PID-11[${r}].1`), m.get(`PID-11[${r}].3`));
  const dates = values.filter((v) => /^\d{8}$/.test(v)).map((v) => `${v.slice(0, 4)}-${v.slice(4, 6)}-${v.slice(6)}`);
  return [...values, ...dates].filter((v) => v.length >= 3 && v !== '""');
}

test('the corpus end to end: no direct identifier reaches a finance destination; a pseudonymising one gets keyed patient pseudonyms', async (t) => {
  if (!requireShared(t)) return;
  const erp = await startErpSimulator();
  const base = testChannel({ erpUrl: erp.url });
  const pseudo = { ...base.destinations[0]!, id: 'erp-pseudo', dataPolicy: { allow: ['financial', 'operational', 'clinical'] as const, pseudonymise: true } };
  const sb = await startTestEngine({
    channels: [{ ...base, destinations: [...base.destinations, { ...pseudo, dataPolicy: { ...pseudo.dataPolicy, allow: [...pseudo.dataPolicy.allow] } }] }],
    config: { PSEUDONYM_KEY: randomBytes(32).toString('base64') },
  });
  t.teardown(async () => (await sb.close(), await erp.close()));

  const files = (await readdir(CORPUS)).filter((f) => /^0\d\d-.*\.hl7$/.test(f)).sort();
  const phi = new Set<string>();
  const client = await MllpTestClient.connect(sb.mllpPort);
  for (const f of files) {
    const bytes = await readFile(path.join(CORPUS, f));
    const text = decodeBytes(bytes).text;
    for (const m of isBatch(text) ? parseBatch(text).messages : [parseMessage(text)]) for (const v of directIdentifiers(m)) phi.add(v);
    await client.send(bytes);
  }
  client.close();
  await waitFor('every message settled', async () => {
    const open = [...(await sb.engine.store!.listMessages({ status: 'routed', limit: 10 })), ...(await sb.engine.store!.listMessages({ status: 'received', limit: 10 }))];
    return open.length === 0 && (await sb.engine.store!.listMessages({ status: 'delivered', limit: 100 })).length > 0;
  });
  t.true(phi.has('DOE') && phi.has('100234') && phi.has('999-12-3456') && phi.has('1975-04-12'), 'the scan knows the corpus identifiers');
  const postings = erp.postings();
  const plain = postings.filter((p) => /:erp(:\d+)?$/.test(p.idempotencyKey));
  const pseudonymised = postings.filter((p) => /:erp-pseudo(:\d+)?$/.test(p.idempotencyKey));
  t.true(plain.length >= 10 && pseudonymised.length === plain.length, `${plain.length} / ${pseudonymised.length} postings`);
  const body = JSON.stringify(postings.map((p) => p.body));
  const escape = (v: string) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const found = [...phi].filter((v) => new RegExp(`(^|[^A-Za-z0-9])${escape(v)}($|[^A-Za-z0-9])`).test(body));
  t.deepEqual(found, [], 'no direct identifier in any posting');
  t.true(plain.every((p) => (p.body as { event: { patient?: unknown } }).event.patient === undefined));
  const keys = pseudonymised.map((p) => (p.body as { event: { patient?: { mrn?: string } } }).event.patient?.mrn ?? '');
  t.true(keys.every((k) => /^pk_[A-Za-z0-9_-]{32}$/.test(k)), keys.join(' '));
  t.true(new Set(keys).size < keys.length, 'the same patient gets the same pseudonym');
});
