import test from 'ava';
import { startErpSimulator } from '../../peers/erp-simulator.ts';
import { startTestEngine, testChannel, waitFor } from '../support/harness.ts';
import { field, MllpTestClient } from '../support/mllp-client.ts';
import { uniqueName } from '../../scripts/lib/unique-name.ts';
import { transforms as shipped } from '../../transforms/index.ts';
import { defineTransform, required } from '../../transforms/dsl/define-transform.ts';
import { hl7 } from '../../transforms/dsl/expression.ts';
import { ChargeEventV1 } from '../../transforms/canonical/charge-event.ts';

test('a message errored by a faulty transform is delivered after the fix, by re-routing it', async (t) => {
  const erp = await startErpSimulator();
  t.teardown(() => erp.close());
  const shared = { dbName: uniqueName('sbreroute'), prefix: uniqueName('sbq') };
  const faulty = defineTransform({
    id: 'hl7v2.dft-to-charges',
    version: 99,
    description: 'reads a field senders never fill',
    model: ChargeEventV1,
    accepts: { hl7: ['DFT^P03'] },
    fields: { code: required(hl7('FT1-99')) },
  });
  const before = await startTestEngine({
    channels: [testChannel({ erpUrl: erp.url })],
    ...shared,
    transforms: new Map([...shipped, [faulty.id, faulty]]),
  });
  const client = await MllpTestClient.connect(before.mllpPort);
  const dft =
    'MSH|^~\\&|EPIC|GENHOSP|ERP|FINANCE|20260320143000||DFT^P03|RR1|P|2.5.1\r' +
    `PID|1||5150^^^GENHOSP^MR\rPV1|1|I${'|'.repeat(17)}VRR1\r` +
    'FT1|1|||20260320120000||CG|27447^KNEE^CPT|||1\r';
  const ack = await client.send(dft);
  client.close();
  t.is(field(ack, 'MSA', 1), 'AE');
  t.regex(field(ack, 'MSA', 3), /field code from FT1-99/);
  const [errored] = await before.engine.store!.messages.list({ controlId: 'RR1', limit: 1 });
  await before.close();

  const after = await startTestEngine({ channels: [testChannel({ erpUrl: erp.url })], ...shared });
  t.teardown(() => after.close());
  const res = await after.engine.http!.inject({
    method: 'POST',
    url: `/api/messages/${errored!._id}/reroute`,
    headers: after.adminHeaders,
  });
  t.is(res.statusCode, 202);
  await waitFor('delivered after the fix', async () => (await after.engine.store!.messages.get(errored!._id))?.status === 'delivered');
  const message = await after.engine.store!.messages.get(errored!._id);
  t.deepEqual(
    message!.canonical!.events.map((e) => [e.transformId, e.transformVersion]),
    [['hl7v2.dft-to-charges', 2]],
  );
  t.is(erp.postings().length, 1);
  const again = await after.engine.http!.inject({
    method: 'POST',
    url: `/api/messages/${errored!._id}/reroute`,
    headers: after.adminHeaders,
  });
  t.is(again.statusCode, 409);
  t.is(again.json().code, 'CONFLICT');
});
