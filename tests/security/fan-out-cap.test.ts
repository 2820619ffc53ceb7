/**
 * Issue 20, finding 7: one small message fanned out without limit (a 566 KB DFT with 12,000 FT1
 * made 24,000 ERP postings). A channel caps the canonical events one message may make
 * (maxEventsPerMessage, default 500): a message past it is answered AR naming the cap (MSA-3 and
 * ERR-8), stored only as `rejected` for review, and nothing of it is queued or posted.
 */
import test from 'ava';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, testChannel, waitFor } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';

/** A DFT^P03 with `lines` FT1 segments, one ChargeEvent each. */
const dft = (controlId: string, lines: number) =>
  [
    `MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315100000||DFT^P03^DFT_P03|${controlId}|P|2.5.1`,
    'EVN|P03|20260315100000',
    'PID|1||4711^^^GENHOSP^MR||TEST^PATIENT||19700101|F',
    `PV1|1|I|4W^412^B^GENHOSP||||||||||||||||V${controlId}`,
    ...Array.from({ length: lines }, (_, i) => `FT1|${i + 1}|||20260315|20260315|CG|80053^METABOLIC PANEL^CPT||1|1|12.50^USD||LAB`),
  ].join('\r') + '\r';

test(
  'a DFT making more events than the default cap (500): AR naming the cap, stored as rejected only, ' +
    'nothing posted; one at the cap goes through',
  async (t) => {
    const erp = await startErpSimulator();
    const sb = await startTestEngine({ channels: [testChannel({ erpUrl: erp.url })] });
    t.teardown(async () => (await sb.close(), await erp.close()));
    const client = await MllpTestClient.connect(sb.mllpPort);
    t.teardown(() => client.close());

    const ack = await client.send(dft('FAN1', 1200));
    t.is(field(ack, 'MSA', 1), 'AR', ack);
    t.regex(field(ack, 'MSA', 3), /at most 500 per message \(maxEventsPerMessage\)/);
    t.regex(field(ack, 'ERR', 8), /at most 500 per message/);
    t.is(field(ack, 'MSA', 2), 'FAN1');
    const stored = await sb.engine.store!.messages.list({ controlId: 'FAN1', limit: 5 });
    t.deepEqual(
      stored.map((m) => m.status),
      ['rejected'],
      'stored once, as rejected for review',
    );
    t.is(stored[0]!.error?.code, 'MESSAGE_TOO_MANY_EVENTS');
    t.deepEqual(stored[0]!.deliveries, {}, 'no delivery planned');
    // A resend is refused the same way (nothing was accepted under that control id).
    t.is(field(await client.send(dft('FAN1', 1200)), 'MSA', 1), 'AR');

    // A message at the cap goes through, and is delivered; nothing of the refused one is posted.
    t.is(field(await client.send(dft('FAN2', 500)), 'MSA', 1), 'AA');
    await waitFor(
      'FAN2 delivered',
      async () => (await sb.engine.store!.messages.list({ controlId: 'FAN2', limit: 1 }))[0]?.status === 'delivered',
      120_000,
    );
    const fan1 = stored[0]!._id;
    t.false(
      erp.postings().some((p) => p.idempotencyKey.startsWith(`${fan1}:`)),
      'nothing of the refused message posted',
    );
    t.true(erp.postings().length >= 500);
  },
);

test('the cap is per channel: maxEventsPerMessage 2000 takes the 1,200-line message, 100 refuses a 101-line one', async (t) => {
  const erp = await startErpSimulator();
  const roomy = { ...testChannel({ erpUrl: erp.url, id: 'roomy' }), maxEventsPerMessage: 2000 };
  const tight = { ...testChannel({ erpUrl: erp.url, id: 'tight' }), maxEventsPerMessage: 100 };
  const sb = await startTestEngine({ channels: [roomy, tight] });
  t.teardown(async () => (await sb.close(), await erp.close()));
  const a = await MllpTestClient.connect(sb.addresses.mllp.roomy!);
  t.teardown(() => a.close());
  const b = await MllpTestClient.connect(sb.addresses.mllp.tight!);
  t.teardown(() => b.close());
  t.is(field(await a.send(dft('FAN3', 1200)), 'MSA', 1), 'AA');
  const refused = await b.send(dft('FAN4', 101));
  t.is(field(refused, 'MSA', 1), 'AR');
  t.regex(field(refused, 'MSA', 3), /channel tight accepts at most 100 per message/);
  t.is(field(await b.send(dft('FAN5', 100)), 'MSA', 1), 'AA');
});
