/**
 * Issue 20, finding 4: a viewer without the PHI permission could search by MRN (the answer, even
 * masked, tells whether a patient has messages) and saw ORU result values in the message view.
 * Searching by a direct identifier needs the PHI permission (403 problem, audited as denied), and
 * masking covers every field of a PHI data class: identifiers and clinical content (results, notes,
 * diagnoses), in the raw message as in the canonical events; financial content stays visible.
 */
import test from 'ava';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, testChannel, waitFor } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';
import { userSession } from '../support/users.ts';

const MRN = 'MRN8842';
/** An ORU^R01 (accepted and stored by the demo channel, sent nowhere): a result and a note on it. */
const oru =
  [
    'MSH|^~\\&|LAB|GENHOSP|EHR|GENHOSP|20260315090000||ORU^R01^ORU_R01|SECORU1|P|2.5.1',
    `PID|1||${MRN}^^^GENHOSP^MR||QUILL^NORA||19610203|F`,
    'OBR|1|PLC77|FIL77|4548-4^HEMOGLOBIN A1C^LN|||20260315080000',
    'OBX|1|NM|4548-4^HEMOGLOBIN A1C^LN||9.7|%|4.0-5.6|H|||F',
    'NTE|1||PATIENT INFORMED OF DIABETIC RANGE',
  ].join('\r') + '\r';
/** A DFT^P03 of the same patient: a charge (financial) on an inpatient (clinical) stay. */
const dft =
  [
    'MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315100000||DFT^P03^DFT_P03|SECDFT1|P|2.5.1',
    'EVN|P03|20260315100000',
    `PID|1||${MRN}^^^GENHOSP^MR||QUILL^NORA||19610203|F`,
    'PV1|1|I|ICU^12^A^GENHOSP||||||||||||||||VSEC77',
    'FT1|1|||20260315|20260315|CG|80053^COMPREHENSIVE METABOLIC PANEL^CPT||1|1|431.25^USD||LAB',
  ].join('\r') + '\r';

const CLINICAL = ['9.7', '4.0-5.6', 'HEMOGLOBIN A1C', 'DIABETIC', '4548-4', 'ICU'];

test(
  'a viewer without the PHI permission: search by MRN refused (403, audited as denied); results, notes ' +
    'and the stay masked in raw and canonical; charges shown',
  async (t) => {
    const erp = await startErpSimulator();
    const sb = await startTestEngine({ channels: [testChannel({ erpUrl: erp.url })] });
    t.teardown(async () => (await sb.close(), await erp.close()));
    const client = await MllpTestClient.connect(sb.mllpPort);
    t.teardown(() => client.close());
    t.is(field(await client.send(oru), 'MSA', 1), 'AA');
    t.is(field(await client.send(dft), 'MSA', 1), 'AA');
    const stored = async (controlId: string) =>
      waitFor(controlId, async () => (await sb.engine.store!.messages.list({ controlId, limit: 1 }))[0]);
    const [oruId, dftId] = [(await stored('SECORU1'))._id, (await stored('SECDFT1'))._id];
    await waitFor('the charge delivered', () => erp.postings().length > 0);

    const viewer = await userSession(sb, { username: 'val.viewer', role: 'viewer', phi: false });
    const get = (url: string, headers: Record<string, string>) => sb.engine.http!.inject({ method: 'GET', url, headers });

    // The search by MRN: refused whether or not the patient has messages, as a problem, and audited.
    for (const mrn of [MRN, 'NO-SUCH-MRN']) {
      const res = await get(`/api/messages?mrn=${mrn}`, viewer);
      t.is(res.statusCode, 403, `mrn=${mrn}`);
      t.is(res.headers['content-type'], 'application/problem+json; charset=utf-8');
      t.like(res.json(), { status: 403, code: 'FORBIDDEN' });
      t.false(res.body.includes(mrn));
    }
    const denied = (await get('/api/audit?action=access.denied&actor=val.viewer', sb.adminHeaders)).json().items as {
      outcome: string;
      details: { why: string };
    }[];
    t.is(denied.length, 2, 'each refused search is audited');
    t.true(denied.every((e) => e.outcome === 'denied' && /MRN.*PHI permission/.test(e.details.why)));
    t.false(JSON.stringify(denied).includes(MRN), 'the audit entry does not hold the MRN');

    // The ORU: the result, its code, range, flag and the note masked; the header's message type shown.
    const oruView = (await get(`/api/messages/${oruId}`, viewer)).json() as { raw: string; masked: boolean };
    t.true(oruView.masked);
    for (const v of [...CLINICAL.filter((c) => c !== 'ICU'), MRN, 'QUILL']) t.false(oruView.raw.includes(v), `${v} in the raw ORU`);
    t.regex(oruView.raw, /\rOBX\|1\|NM\|\*\*\*\|\|\*\*\*\|\*\*\*\|\*\*\*\|\*\*\*\|/);
    t.regex(oruView.raw, /\rNTE\|1\|\|\*\*\*/);
    t.regex(oruView.raw, /ORU\^R01/);

    // The DFT: the stay (class, location) masked in raw and canonical; the charge itself shown.
    const dftView = (await get(`/api/messages/${dftId}`, viewer)).json() as {
      raw: string;
      canonical: {
        events: { model: string; event: { amount?: { value: number }; code?: string; encounter?: { patientClass?: string } } }[];
      };
    };
    t.false(dftView.raw.includes('ICU'), 'PV1-3 masked');
    t.regex(dftView.raw, /\rPV1\|1\|\*\*\*\|\*\*\*\|/);
    t.regex(dftView.raw, /431\.25\^USD/, 'FT1-11 (financial) shown');
    const charge = dftView.canonical.events.find((e) => e.model === 'ChargeEvent')!.event;
    t.is(charge.encounter?.patientClass, '***', 'canonical clinical field masked');
    t.is(charge.amount?.value, 431.25, 'canonical financial field shown');
    t.is(charge.code, '80053');

    // With the PHI permission: the search answers, the values are shown.
    const phi = await userSession(sb, { username: 'pat.phi', role: 'support', phi: true });
    const found = (await get(`/api/messages?mrn=${MRN}`, phi)).json() as { items: { _id: string }[] };
    t.deepEqual(found.items.map((m) => m._id).sort(), [oruId, dftId].sort());
    const clear = (await get(`/api/messages/${oruId}`, phi)).json() as { raw: string };
    t.true(clear.raw.includes('OBX|1|NM|4548-4^HEMOGLOBIN A1C^LN||9.7|%|4.0-5.6|H'));
  },
);
