import test from 'ava';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, testChannel } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';

test('INTAKE_ACK_ONLY (benchmarks): AA from the header alone, AR for what is not accepted, and nothing is stored or sent', async (t) => {
  const erp = await startErpSimulator();
  t.teardown(() => erp.close());
  const sb = await startTestEngine({ channels: [testChannel({ erpUrl: erp.url })], config: { INTAKE_ACK_ONLY: true } });
  t.teardown(() => sb.close());
  const client = await MllpTestClient.connect(sb.mllpPort);
  t.teardown(() => client.close());
  const ack = await client.send(
    'MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315083000||ADT^A01|AO1|P|2.5.1\rPID|1||4711^^^GENHOSP^MR||ROE^RITA\r',
  );
  t.is(field(ack, 'MSA', 1), 'AA');
  t.is(field(ack, 'MSA', 2), 'AO1');
  t.is(field(await client.send('MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315083000||ORM^O01|AO2|P|2.5.1\r'), 'MSA', 1), 'AR');
  // A batch is read whole (its messages are in the frame's later segments), each message answered.
  const msh = (id: string) => `MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315083000||ADT^A08|${id}|P|2.5.1\rPID|1||4711^^^GENHOSP^MR\r`;
  const batch = await client.send(`BHS|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315083000||||BATCH7\r${msh('AB1')}${msh('AB2')}BTS|2\r`);
  t.regex(batch, /^BHS\|[^\r]*\|BATCH7\r/);
  t.deepEqual(
    [...batch.matchAll(/MSA\|(\w+)\|(\w+)/g)].map((m) => `${m[1]} ${m[2]}`),
    ['AA AB1', 'AA AB2'],
  );
  // A large message: AA from its header (the 900 KB OBX after it is not read).
  const large = await client.send(
    `MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315083000||ADT^A08|AO3|P|2.5.1\rOBX|1|ED|PDF||${'A'.repeat(900_000)}\r`,
  );
  t.is(field(large, 'MSA', 2), 'AO3');
  t.deepEqual(await sb.engine.store!.messages.list({ limit: 5 }), []);
  t.deepEqual(erp.postings(), []);
});
