import test from 'ava';
import { startErpSimulator } from '../peers/erp-simulator.ts';
import { startTestEngine, testChannel } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';

test('INTAKE_ACK_ONLY (benchmarks): AA from the header alone, AR for what is not accepted, and nothing is stored or sent', async (t) => {
  const erp = await startErpSimulator();
  t.teardown(() => erp.close());
  const sb = await startTestEngine({ channels: [testChannel({ erpUrl: erp.url })], config: { INTAKE_ACK_ONLY: true } });
  t.teardown(() => sb.close());
  const client = await MllpTestClient.connect(sb.mllpPort);
  t.teardown(() => client.close());
  const ack = await client.send('MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315083000||ADT^A01|AO1|P|2.5.1\rPID|1||4711^^^GENHOSP^MR||ROE^RITA\r');
  t.is(field(ack, 'MSA', 1), 'AA');
  t.is(field(ack, 'MSA', 2), 'AO1');
  t.is(field(await client.send('MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260315083000||ORM^O01|AO2|P|2.5.1\r'), 'MSA', 1), 'AR');
  t.deepEqual(await sb.engine.store!.listMessages({ limit: 5 }), []);
  t.deepEqual(erp.postings(), []);
});
